# Synthetic STVG benchmark (tools/data/synthetic/generate.py), HC-STVG v2 annotation format.
dataset_type = 'SynthSTVGDataset'
data_root = 'data/synth_stvg'
# Word-level tokenizer written by the generator (save_pretrained); loaded from disk only.
tokenizer = dict(type='AutoTokenizer', pretrained=data_root + '/tokenizer')
clip_len = 32  # T: frames per training sample (SampleSTVGFrames)
img_scale = (96, 96)

train_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len=clip_len),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=img_scale, keep_ratio=False),
    dict(type='STVGFlip', flip_ratio=0.5),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=16),
    dict(type='PackSTVGInputs'),
]
test_pipeline = [
    dict(type='mmaction.PyAVInit'),
    dict(type='SampleSTVGFrames', clip_len=clip_len, test_mode=True),
    dict(type='STVGPyAVDecode'),
    dict(type='LoadTubeTargets'),
    dict(type='mmaction.Resize', scale=img_scale, keep_ratio=False),
    dict(type='TokenizeText', tokenizer=tokenizer, max_length=16),
    dict(type='PackSTVGInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='anno_v2/train_v2.json',
        data_prefix=dict(video='videos'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
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

# Every frame of the synthetic videos counts (boxes interpolated between sampled frames).
val_evaluator = dict(type='STVGMetric', protocol='dense')
test_evaluator = val_evaluator
