"""Web demo: upload a video, type a sentence, see the grounded tube.

    python demo/gradio_app.py MODEL [CHECKPOINT] [--port 7860] [--device cpu]

``MODEL`` is a config file or a model name of the metafiles (as for
:class:`~mmstvg.apis.STVGInferencer`); ``CHECKPOINT`` a file or URL (omitted: the metafile's
published weights, or none for a model without parameters). The page (a Gradio app on
``http://127.0.0.1:PORT``) takes a video and a sentence, and shows the video with the predicted
tube drawn (box in red on the frames of the predicted span, the sentence above the frame, a
timeline bar below it), the span on a timeline of the whole video with its frames and seconds,
and the prediction as JSON.

Offline and local: Gradio's analytics are off (``GRADIO_ANALYTICS_ENABLED=False``, set before
Gradio is imported), there is no share link (``share=False``), no server-side rendering, and
the theme's fonts are served by the app itself. It listens on 127.0.0.1 unless ``--host``
says otherwise. Drawn videos are written under ``--out-dir`` (default: a new temporary
folder), one sub-folder per request, and only that folder is served besides the uploads.

With the checkpoint of the synthetic demo (``make demo``):

    python demo/gradio_app.py configs/baselines/baseline_r18-c16-s8_1xb8-t32-8e_synth.py \\
        work_dirs/synthetic_demo/baseline/epoch_8.pth
"""
import argparse
import html
import os
import os.path as osp
import tempfile
import uuid
from typing import Optional, Tuple

os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')  # before gradio is imported

#: elem_id of the page's components (the browser test finds them by these)
IDS = dict(
    video='input-video',
    sentence='sentence',
    button='ground-button',
    result='result-video',
    timeline='timeline',
    prediction='prediction')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Web demo of spatio-temporal video grounding')
    parser.add_argument('model', help='config file or metafile model name')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file or URL (default: the metafile\'s published weights)')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:N]'")
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on')
    parser.add_argument('--port', type=int, default=7860, help='port to listen on')
    parser.add_argument(
        '--out-dir', help='folder of the drawn videos (default: a new temporary folder)')
    parser.add_argument(
        '--max-frames',
        type=int,
        help='draw at most this many frames (>= 1), evenly spread (long videos)')
    return parser.parse_args(argv)


def timeline_html(pred: dict) -> str:
    """The predicted span on a bar that stands for the whole video, with its frames and
    seconds (``pred``: :meth:`~mmstvg.apis.STVGPrediction.to_dict`)."""
    start, end = pred['span']
    frames = max(int(pred['num_frames']), 1)
    t0, t1 = pred['span_seconds']
    left, width = 100 * start / frames, 100 * max(end - start, 0) / frames
    text = (f'Grounded span: frames {start} to {end - 1} ({t0:.2f} s to {t1:.2f} s) of '
            f'{frames} frames' if end > start else 'No span predicted')
    return (f'<div id="stvg-timeline" data-start="{start}" data-end="{end}" '
            f'data-frames="{frames}" data-start-s="{t0:.3f}" data-end-s="{t1:.3f}">'
            '<div style="position:relative;height:18px;background:#d9d9d9;border-radius:4px">'
            f'<div class="stvg-span" style="position:absolute;left:{left:.3f}%;'
            f'width:{width:.3f}%;height:100%;background:#e02424;border-radius:4px"></div>'
            f'</div><p class="stvg-span-text">{html.escape(text)}</p>'
            f'<p class="stvg-sentence">{html.escape(pred["sentence"])}</p></div>')


class GroundingDemo:
    """What the page runs: the inferencer, and where the drawn videos go.

    Args:
        inferencer (STVGInferencer): the model.
        out_dir (str): folder of the drawn videos.
        max_frames (int, optional): draw at most this many frames.
    """

    def __init__(self, inferencer, out_dir: str, max_frames: Optional[int] = None) -> None:
        self.inferencer = inferencer
        self.out_dir = out_dir
        self.max_frames = max_frames

    def ground(self, video: Optional[str], sentence: Optional[str]) -> Tuple[str, str, dict]:
        """(drawn video, timeline HTML, prediction) for one upload and sentence.

        Raises:
            gradio.Error: no video, an empty sentence, or a video that cannot be read (the
                page shows the message).
        """
        import gradio as gr
        if not video:
            raise gr.Error('Upload a video first.')
        if not sentence or not sentence.strip():
            raise gr.Error('Type the sentence to ground.')
        request_dir = osp.join(self.out_dir, uuid.uuid4().hex)
        try:
            result = self.inferencer((video, sentence.strip()),
                                     out_dir=request_dir,
                                     max_frames=self.max_frames)
        except (ValueError, OSError, RuntimeError) as err:
            raise gr.Error(f'Cannot ground this video: {err}')
        pred = result['predictions'][0]
        shown = {k: v for k, v in pred.items() if k not in ('frame_times', 'canvas')}
        shown['video'] = osp.basename(pred['video'])
        return result['visualization'][0], timeline_html(pred), shown


def build_app(demo: GroundingDemo):
    """The Gradio page (a ``gradio.Blocks``) of ``demo``."""
    import gradio as gr
    with gr.Blocks(title='mmstvg: spatio-temporal video grounding') as app:
        gr.Markdown('## Spatio-temporal video grounding\nUpload a video, describe who or what '
                    'to find, and press **Ground**: the red box marks it on the frames of the '
                    'predicted span.')
        with gr.Row():
            with gr.Column():
                video = gr.Video(
                    label='Video', sources=['upload'], include_audio=True, elem_id=IDS['video'])
                sentence = gr.Textbox(
                    label='Sentence',
                    placeholder='The big red square moves left.',
                    elem_id=IDS['sentence'])
                button = gr.Button('Ground', variant='primary', elem_id=IDS['button'])
            with gr.Column():
                result = gr.Video(label='Grounded tube', interactive=False, elem_id=IDS['result'])
                timeline = gr.HTML(elem_id=IDS['timeline'])
                prediction = gr.JSON(label='Prediction', elem_id=IDS['prediction'])
        button.click(demo.ground, inputs=[video, sentence], outputs=[result, timeline, prediction])
    return app


def main(argv=None):
    args = parse_args(argv)
    if args.max_frames is not None and args.max_frames < 1:
        raise ValueError(f'--max-frames must be >= 1, got {args.max_frames}')
    from mmstvg.apis import STVGInferencer
    inferencer = STVGInferencer(args.model, weights=args.checkpoint, device=args.device)
    out_dir = osp.abspath(args.out_dir or tempfile.mkdtemp(prefix='mmstvg_demo_'))
    os.makedirs(out_dir, exist_ok=True)
    app = build_app(GroundingDemo(inferencer, out_dir, args.max_frames))
    print(f'serving on http://{args.host}:{args.port} (drawn videos in {out_dir})', flush=True)
    app.queue().launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        ssr_mode=False,
        allowed_paths=[out_dir],
        footer_links=[],
        quiet=True)


if __name__ == '__main__':
    main()
