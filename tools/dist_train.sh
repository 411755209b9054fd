#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args]   (NNODES / NODE_RANK / PORT /
# MASTER_ADDR from the environment for several machines). On CPU-only machines each process
# trains on the CPU over gloo (see mmstvg/utils/dist.py).
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
python -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/train.py" \
    $CONFIG \
    --launcher pytorch ${@:3}
