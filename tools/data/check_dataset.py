"""Scan the datasets of a config (annotations + videos / features) and report every bad
record and file.

    python tools/data/check_dataset.py CONFIG [--splits train val test] \
        [--out work_dirs/check_dataset.json] [--annotations-only]

For each split, the dataset of ``{split}_dataloader`` is built with ``skip_invalid=True`` and
no pipeline; invalid annotations (malformed record, empty sentence, box outside the frame,
span beyond the video, duplicate qid ...) and bad media (missing, corrupt or truncated video;
missing, corrupt or short feature file) are listed with the query, the file and the reason
(see ``mmstvg/datasets/dataset_check.py``). Videos are compared with their annotation (frame
size, frame count, frame rate) with the tolerance of the split pipeline's decoder
(``max_clamp`` / ``out_of_range`` / ``fps_rtol`` of ``STVGPyAVDecode`` or ``STVGDecordDecode``),
so the gate accepts exactly what training and testing accept. A split with no valid query
(an empty annotation file, or every record invalid) is a problem (``empty_dataset``, listed
with the records that were skipped), as is an annotation file that cannot be read at all
(``dataset_error``: invalid JSON, a repeated key ...). The report is printed and, with
``--out``, written as JSON. Exit status 1 when anything is wrong, so it can gate a data
pipeline.
"""
import argparse
import os.path as osp
import sys

import mmengine
from mmengine.config import DictAction
from mmengine.utils import track_iter_progress

from mmstvg.datasets.base_stvg_dataset import EmptyDatasetError
from mmstvg.datasets.dataset_check import check_dataset, decode_policy, empty_dataset_report
from mmstvg.registry import DATASETS
from mmstvg.utils import dataset_cfg_of, load_config, register_all_modules
from mmstvg.utils.data_root import add_root_arguments
from mmstvg.utils.path_guard import check_outputs_not_inputs, config_input_files


def feature_stride_of(ds_cfg) -> int:
    for t in ds_cfg.get('pipeline', []):
        if str(t.get('type', '')).endswith('LoadSTVGFeatures'):
            return int(t.get('frame_stride', 1))
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(description='Check an STVG dataset for bad records')
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', default=['train', 'val', 'test'])
    parser.add_argument('--out', help='write the report to this JSON file')
    parser.add_argument(
        '--annotations-only', action='store_true', help='do not open the videos / feature files')
    add_root_arguments(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options, args.data_root, args.pretrained_root)
    check_outputs_not_inputs({'--out': args.out}, config_input_files(cfg, args.config))
    report = dict(config=args.config, splits={})
    for split in args.splits:
        ds_cfg = dataset_cfg_of(cfg, split)
        if ds_cfg is None:
            print(f'[{split}] no {split}_dataloader in the config, skipped')
            continue
        stride = feature_stride_of(ds_cfg)
        policy = decode_policy(ds_cfg.get('pipeline'))
        ds_cfg.update(skip_invalid=True, pipeline=[], lazy_init=False)
        try:
            dataset = DATASETS.build(ds_cfg)
        except EmptyDatasetError as e:
            report['splits'][split] = empty_dataset_report(e, policy)
            continue
        except Exception as e:  # noqa: BLE001 (reported; the gate fails)
            ann = ds_cfg.get('ann_file')
            if ann and not osp.isabs(ann) and ds_cfg.get('data_root'):
                ann = osp.join(ds_cfg['data_root'], ann)
            report['splits'][split] = dict(
                ann_file=ann,
                num_queries=0,
                num_ok=0,
                counts={'dataset_error': 1},
                problems=[
                    dict(
                        qid=None,
                        file=ann,
                        reason='dataset_error',
                        message=f'{type(e).__name__}: {e}')
                ])
            continue
        print(f'[{split}] {dataset.ann_file}: {len(dataset)} valid annotations; '
              f'checking media (decoder tolerance: {policy})')
        result = check_dataset(
            dataset,
            check_media=not args.annotations_only,
            feature_stride=stride,
            policy=policy,
            progress=lambda it: track_iter_progress(list(it)))
        report['splits'][split] = result
    total = sum(len(r['problems']) for r in report['splits'].values())
    report['num_problems'] = total
    if not report['splits']:
        report['num_problems'] = total = 1
        print(
            f'no split to check: none of {args.splits} has a dataloader in {args.config}',
            file=sys.stderr)
    for split, r in report['splits'].items():
        print(f'[{split}] {r["num_ok"]}/{r["num_queries"]} valid queries with good media; '
              f'{len(r["problems"])} problems {r["counts"]}')
        for p in r['problems']:
            print(f'  {p["reason"]:18s} qid={p["qid"]} file={p["file"]}: {p["message"]}')
    if args.out:
        mmengine.dump(report, args.out, indent=2, default=str)
        print(f'report written to {args.out}')
    return report


if __name__ == '__main__':
    result = main()
    if result['num_problems']:
        print(
            f'check_dataset: FAILED, {result["num_problems"]} problem(s) (listed above)',
            file=sys.stderr)
        sys.exit(1)
