# TA-STVG's synthetic config with its motion branch as the paper has it: pre-trained on action
# labels, then frozen. The paper's VidSwin-T comes from Kinetics-400; at the synthetic size
# there are no such weights, so tools/misc/pretrain_motion_encoder.py trains this config's
# small VidSwin (width 16, 3 stages) to tell which of the generator's actions someone performs
# at each frame, from the training videos' record of every actor's actions (no sentence, target
# or box: the grounding labels are not read). tools/analysis_tools/benchmark_suite.py runs it
# when `motion_pretrain.out` is missing. TA-STVG's temporal decoder reads only the text and
# motion tokens (configs/tastvg/README.md, "Synthetic benchmark"): from scratch, its start /
# end signal waits for the motion branch to learn motion. In progress: not benchmarked, the
# pre-training does not learn enough yet (configs/tastvg/README.md, "Synthetic benchmark").
_base_ = ['./tastvg_r18-c16-tiny_1xb8-t32-8e_synth.py']
motion_ckpt = 'data/synth_stvg/pretrained/vidswin16_synth-actions.pth'
motion_pretrain = dict(out=motion_ckpt, epochs=4, lr=1e-3, weight_decay=1e-4, batch_size=8, seed=0)
model = dict(
    detach_memory=True,  # the paper's setting (the base config's aid is for a scratch branch)
    motion_encoder=dict(
        frozen=True,
        eval_when_frozen=True,
        init_cfg=dict(type='Pretrained', checkpoint=motion_ckpt)))
