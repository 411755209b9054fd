# VidSTG (docs/dataset_prepare.md): {train,val,test}_annotations.json sentence files, the
# VidOR box files (annotation/{training,validation}/<folder>/<vid>.json) and VidOR videos.
# One query per caption (declarative) and per question (interrogative).
dataset_type = 'VidSTGDataset'
data_root = 'data/vidstg'
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
        ann_file='train_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training'),
        skip_invalid=True,  # targets with trajectory gaps inside the GT span: counted, logged
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
        ann_file='val_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/training'),
        pipeline=test_pipeline,
        test_mode=True))
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='test_annotations.json',
        data_prefix=dict(video='videos', vidor_anno='vidor/validation'),
        pipeline=test_pipeline,
        test_mode=True))
# Reported per sentence type (declarative/..., interrogative/...) as well as overall.
# TubeDETR's protocol at its settings (docs/evaluation_protocols.md); another protocol:
#   --cfg-options test_evaluator.protocol=dense (a name takes its default parameters)
val_evaluator = dict(
    type='STVGMetric', protocol=dict(type='sampled', eval_fps=5, video_max_len=200))
test_evaluator = val_evaluator
