"""Ground a sentence in a video and write the video with the predicted tube drawn.

    python demo/demo_video.py VIDEO "SENTENCE" CONFIG CHECKPOINT --out OUT.mp4 [--gif OUT.gif]

Every frame of the video is written with the predicted box on the frames of the predicted
span, the sentence as a caption above the frame and a timeline bar below it that marks the
span (and the current frame). ``--gif`` also writes an animated GIF; ``--out-json`` (default
``OUT.json``) holds the prediction: span in frames and seconds, one box per frame of the span,
and where the frame lies in the drawn canvas.

With the checkpoint of the synthetic demo (``make demo``):

    python demo/demo_video.py data/synth_stvg/videos/val_00000.mp4 \
        "The big red square moves left." \
        configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py \
        work_dirs/synthetic_demo/baseline/epoch_8.pth --out work_dirs/demo/val_00000.mp4
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))
from mmengine.structures import BaseDataElement  # noqa: E402

from mmstvg.apis import inference_grounder, init_grounder  # noqa: E402
from mmstvg.structures import STVGDataSample  # noqa: E402
from mmstvg.visualization import STVGVisualizer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Ground a sentence in a video (demo)')
    parser.add_argument('video', help='video file (any format PyAV decodes)')
    parser.add_argument('sentence', help='the query sentence')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', required=True, help='output video (.mp4, .mkv, .avi)')
    parser.add_argument('--gif', help='also write an animated GIF here')
    parser.add_argument('--out-json', help='prediction JSON (default: OUT with .json)')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    parser.add_argument('--max-frames', type=int,
                        help='draw at most this many frames, evenly spread (long videos)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    model = init_grounder(args.config, args.checkpoint, device=args.device)
    pred = inference_grounder(model, args.video, args.sentence)
    sample = STVGDataSample(metainfo=dict(sentence=pred.sentence, fps=pred.fps,
                                          num_frames=pred.num_frames,
                                          clip=(0, pred.num_frames)))
    sample.pred_tube = BaseDataElement(span=list(pred.span), frame_ids=pred.frame_ids,
                                       bboxes=pred.bboxes)
    vis = STVGVisualizer(name='mmstvg_demo')
    for out in filter(None, (args.out, args.gif)):
        vis.add_datasample('demo', args.video, sample, draw_gt=False, out_file=out,
                           max_frames=args.max_frames)
    info = pred.to_dict()
    info['canvas'] = vis.canvas_geometry(pred.size, pred.sentence)
    out_json = args.out_json or osp.splitext(args.out)[0] + '.json'
    os.makedirs(osp.dirname(osp.abspath(out_json)), exist_ok=True)
    with open(out_json, 'w') as f:
        json.dump(info, f, indent=2)
    s0, s1 = pred.span_seconds
    print(f'"{pred.sentence}": frames [{pred.span[0]}, {pred.span[1]}) = {s0:.2f}-{s1:.2f} s '
          f'of {pred.num_frames} frames at {pred.fps:g} fps; wrote {args.out}'
          + (f' and {args.gif}' if args.gif else '') + f'; prediction: {out_json}')
    return pred


if __name__ == '__main__':
    main()
