"""How an MLLM's answer was read (``STVGDataSample.parse_status``), counted by ``STVGMetric``.

A multimodal LLM grounder (``MLLMGrounder``) puts the status of its answer parser
(``mmstvg.models.mllm.parsers``) into each data sample; ``STVGMetric`` reports how many
queries ended with each status, so a model that answers in the wrong format shows as parse
failures, not as a silently lower score (the queries are scored all the same, a failed answer
as an empty tube scoring 0).
"""
#: every status, most severe first: no readable answer, no readable span, the span (or every
#: box) outside the clip (frame), a span without box, read after a repair, read as is
PARSE_STATUSES = ('no_answer', 'bad_span', 'out_of_range', 'no_boxes', 'repaired', 'ok')
#: the statuses that count as parse failures
PARSE_FAILURES = ('no_answer', 'bad_span', 'out_of_range', 'no_boxes')
