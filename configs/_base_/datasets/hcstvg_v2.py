# HC-STVG v2 (docs/dataset_prepare.md): anno_v2/{train_v2,val_v2,query_v2}.json + videos.
# Papers report v2 on val; the test split (query_v2.json) has no public GT: `--submit` only.
dataset_type = 'HCSTVGDataset'
data_root = 'data/hcstvg_v2'
# A local `save_pretrained` copy of roberta-base (docs/dataset_prepare.md); nothing is fetched.
tokenizer = dict(type='AutoTokenizer', pretrained='data/pretrained/roberta-base')
clip_len = 64  # T: frames per training sample (SampleSTVGFrames)
train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len=clip_len),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=(-1, 256)),
    dict(
        type='STVGCrop',
        crop=dict(type='mmaction.RandomResizedCrop', area_range=(0.5, 1.0)),
        min_visible_ratio=0.5),
    dict(type='mmaction.Resize', scale=(224, 224), keep_ratio=False),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=64),
    dict(type='PackSTVGInputs'),
]
# TubeDETR's evaluation frames: 5 fps, at most 200 per query; the `sampled` protocol scores
# exactly those.
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', fps=5, max_frames=200, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=(-1, 224)),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=64),
    dict(type='PackSTVGInputs'),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='anno_v2/train_v2.json',
        data_prefix=dict(video='videos'),
        skip_invalid=True,  # a few released videos are truncated/empty: counted, logged
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='anno_v2/val_v2.json',
        data_prefix=dict(video='videos'),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
# TubeDETR's protocol at its settings (docs/evaluation_protocols.md); another protocol:
#   --cfg-options test_evaluator.protocol=dense (a name takes its default parameters)
val_evaluator = dict(
    type='STVGMetric', protocol=dict(type='sampled', eval_fps=5, video_max_len=200))
test_evaluator = val_evaluator

# The challenge test split (no public GT) writes a submission only:
#   python tools/test.py CFG CKPT --submit out.json --cfg-options \
#       test_dataloader.dataset.ann_file=anno_v2/query_v2.json test_evaluator.format_only=True
