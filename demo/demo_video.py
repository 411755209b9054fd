"""Ground a sentence in a video and write the video with the predicted tube drawn.

    python demo/demo_video.py VIDEO "SENTENCE" CONFIG [CHECKPOINT] --out OUT.mp4 [--gif OUT.gif]

Every frame of the video is written with the predicted box on the frames of the predicted
span, the sentence as a caption above the frame and a timeline bar below it that marks the
span (and the current frame). The output keeps the source timing (a variable-frame-rate video
keeps each frame's presentation time). ``--gif`` also writes an animated GIF; ``--out-json``
(default ``OUT.json``) holds the prediction: span in frames and seconds (the presentation
times of the frames in the file), one box and one time per frame of the span, and where the
frame lies in the drawn canvas.

Every argument is checked before the model is loaded: the input files exist, the outputs have
a suffix that can be written (``--out``: .mp4 .mkv .avi .mov; ``--gif``: .gif; ``--out-json``:
.json), no output is one of the inputs (or another output), ``--max-frames`` is >= 1. The
checkpoint may be omitted only for a parameter-free predictor (``TrivialGrounder``).

With the checkpoint of the synthetic demo (``make demo``):

    python demo/demo_video.py data/synth_stvg/videos/val_00000.mp4 \
        "The big red square moves left." \
        configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py \
        work_dirs/synthetic_demo/baseline/epoch_8.pth --out work_dirs/demo/val_00000.mp4
"""
import argparse
import os.path as osp

import mmengine
from mmengine.structures import BaseDataElement

from mmstvg.apis import inference_grounder, init_grounder
from mmstvg.structures import STVGDataSample
from mmstvg.utils import load_config
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.path_guard import check_outputs_not_inputs
from mmstvg.utils.video_io import VIDEO_SUFFIXES, output_kind, probe_video
from mmstvg.visualization import STVGVisualizer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Ground a sentence in a video (demo)')
    parser.add_argument('video', help='video file (any format PyAV decodes)')
    parser.add_argument('sentence', help='the query sentence')
    parser.add_argument('config', help='model config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file; may be omitted only for parameter-free '
        'predictors (e.g. TrivialGrounder)')
    parser.add_argument('--out', required=True, help=f'output video ({", ".join(VIDEO_SUFFIXES)})')
    parser.add_argument('--gif', help='also write an animated GIF here (.gif)')
    parser.add_argument('--out-json', help='prediction JSON (default: OUT with .json)')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    parser.add_argument(
        '--max-frames',
        type=int,
        help='draw at most this many frames (>= 1), evenly spread (long '
        'videos)')
    add_root_arguments(parser)  # e.g. the synthetic models' tokenizer is under the data root
    return parser.parse_args(argv)


def validate_args(args) -> str:
    """Check every argument before any work; returns the prediction JSON path.

    Raises:
        FileNotFoundError: a missing input. ValueError: an unusable argument (named).
    """
    for name, path in (('video', args.video), ('config', args.config), ('checkpoint',
                                                                        args.checkpoint)):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{name} file {path!r} does not exist')
    if not args.sentence.strip():
        raise ValueError('the sentence is empty')
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError(f'--max-frames must be >= 1 (omit it to draw every frame), got '
                         f'{args.max_frames}')
    if output_kind(args.out) != 'video':
        raise ValueError(f'--out {args.out!r} must be a video file '
                         f'({", ".join(VIDEO_SUFFIXES)})')
    if args.gif is not None and output_kind(args.gif) != 'gif':
        raise ValueError(f'--gif {args.gif!r} must end with .gif')
    out_json = args.out_json or osp.splitext(args.out)[0] + '.json'
    if not out_json.lower().endswith('.json'):
        raise ValueError(f'--out-json {out_json!r} must end with .json')
    check_outputs_not_inputs({
        '--out': args.out,
        '--gif': args.gif,
        '--out-json': out_json
    }, {
        'video': args.video,
        'config': args.config,
        'checkpoint': args.checkpoint
    })
    info = probe_video(args.video)  # an unreadable video fails before the model loads
    if info.is_vfr and osp.splitext(args.out)[1].lower() == '.avi':
        raise ValueError(f'{args.video} has a variable frame rate, which AVI cannot store: '
                         'write --out as .mp4, .mkv or .mov')
    return out_json


def main(argv=None):
    args = parse_args(argv)
    out_json = validate_args(args)
    cfg = load_config(args.config, data_root=args.data_root, pretrained_root=args.pretrained_root)
    model = init_grounder(cfg, args.checkpoint, device=args.device)
    if args.checkpoint is None and any(True for _ in model.parameters()):
        raise ValueError(f'{args.config} builds a model with parameters: give its checkpoint')
    pred = inference_grounder(model, args.video, args.sentence)
    sample = STVGDataSample(
        metainfo=dict(
            sentence=pred.sentence,
            fps=pred.fps,
            num_frames=pred.num_frames,
            clip=(0, pred.num_frames)))
    sample.pred_tube = BaseDataElement(
        span=list(pred.span), frame_ids=pred.frame_ids, bboxes=pred.bboxes)
    vis = STVGVisualizer(name='mmstvg_demo')
    for out in filter(None, (args.out, args.gif)):
        vis.add_datasample(
            'demo', args.video, sample, draw_gt=False, out_file=out, max_frames=args.max_frames)
    info = pred.to_dict()
    info['canvas'] = vis.canvas_geometry(pred.size, pred.sentence)
    mmengine.dump(info, out_json, indent=2, ensure_ascii=False)
    s0, s1 = pred.span_seconds
    print(f'"{pred.sentence}": frames [{pred.span[0]}, {pred.span[1]}) = {s0:.2f}-{s1:.2f} s '
          f'of {pred.num_frames} frames at {pred.fps:g} fps' +
          (' (variable frame rate)' if pred.is_vfr else '') + f'; wrote {args.out}' +
          (f' and {args.gif}' if args.gif else '') + f'; prediction: {out_json}')
    return pred


if __name__ == '__main__':
    main()
