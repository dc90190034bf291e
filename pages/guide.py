"""Guide: the metrics and the sizing arithmetic in plain words, with the current scenario's numbers."""

import streamlit as st

from core.traffic import TrafficInputs, derive
from ui import data, nav, scenario, view
from ui.text import md, plural


def _round_peak(peak: float) -> None:
    """The course's rounding: the peak given directly, as a whole number of requests per second."""
    st.session_state["peak_direct"] = True
    st.session_state["peak_rps"] = float(round(peak))
    st.toast(f"Peak set directly to {round(peak):,} req/s, rounded as the course does. Switch off “Give the peak "
             "req/s directly” to derive it from the call-centre figures again.", icon=":material/school:")

nav.ensure_router()
st.title("Guide")
st.markdown("""
### The metrics, in plain words
- **Time to first token (TTFT)**: how long a user waits before the answer starts to appear. It includes any time
  the request spends queued, so it is where an overloaded server shows first.
- **Inter-token latency (ITL)**: the gap between two words of the answer once it streams. Its inverse is the
  *tokens per second per user*; people read at roughly 5–10 tokens per second.
- **End-to-end latency**: from sending the request to the last token: TTFT plus (output tokens − 1) × ITL. This
  is what counts when another program, not a person, waits for the whole answer.
- **Concurrency**: how many requests a benchmark keeps in flight at once. More concurrency means more throughput
  and more latency: the curve on the Frontier page is that trade-off.
- **Throughput per server**: prompts (requests) per second that one 8-GPU server completes, counting every model
  copy it holds. It is the number the sizing divides by.

### How the sizing is computed
1. Peak load: calls per year × minutes per call × RAG calls per minute × LLM requests per RAG call ÷ seconds per
   year gives the average requests per second; the peak factor scales it to the peak.
2. For every GPU, tensor-parallel size (TP) and precision, take the benchmark point with the most prompts per
   second per server whose latency still meets every limit (optionally a point interpolated exactly to the limit).
3. Servers = peak requests per second ÷ prompts per second per server, as the NVIDIA course computes it; round up
   for whole servers. Instances = peak ÷ requests per second per instance, rounded up; GPUs = instances × TP.
4. Rank the configurations by whole servers, then by the exact figure (or by monthly rental cost).
5. Optionally plan below 100 % of the benchmarked throughput. A benchmark keeps exactly N requests in flight;
   real users arrive in bursts, so at the same average load the latency is sometimes worse. Planning at, say,
   80 % leaves that headroom. The course (and the default here) plans at 100 %.
""")
sc = scenario.current()
if not view.problems(sc):
    result = view.sizing(data.current(), sc)
    if result is not None and result.best is not None:
        b = result.best
        st.markdown(f"""
**Your scenario, with its numbers:** peak {sc.traffic.peak_req_per_s:,.1f} req/s ÷
{b['prompts_per_s_per_server']:,.2f} prompts/s per server ({md(b['gpu'])}, TP{int(b['tp'])}, {md(b['precision'])} at
concurrency {b['load']:.3g}) = **{b['servers_exact']:.2f} servers**, so **{plural(int(b['servers']), 'whole server')}**;
{sc.traffic.peak_req_per_s:,.1f} ÷ {b['req_per_s']:,.3f} req/s per instance = {plural(int(b['instances']), 'instance')}
of {plural(int(b['gpus_per_instance']), 'GPU')} = {plural(int(b['gpus']), 'GPU')}.
""")
course = derive(TrafficInputs())  # the course's call-centre example
st.markdown(f"""
### Why the course says 2.83 servers where this app says 2.82
The course derives the same peak, 30 M calls × 10 min × 1 RAG call per minute × 3 LLM requests ÷ 31,536,000 s
× 7 = {course.peak_req_per_s:.2f} req/s, but prints it rounded to {round(course.peak_req_per_s)} and divides the
rounded figure. At TTFT ≤ 500 ms its H100 point (TP1, FP8, concurrency 25 in the course's nim.csv) serves 70.75
prompts/s per 8 GPUs: 200 ÷ 70.75 = 2.83 servers. This app keeps the unrounded peak: {course.peak_req_per_s:.2f} ÷
70.75 = 2.82. Neither is wrong; the rounding moves the second decimal, not the whole number of servers. To
reproduce the course's figure exactly, give the peak rounded as the course does.
""")
peak = sc.traffic.peak_req_per_s if sc.traffic is not None else course.peak_req_per_s
if sc.traffic is not None and sc.traffic.inputs is not None and round(peak) != peak:
    st.button(f"Use the rounded peak, {round(peak):,} req/s, as the course does", on_click=_round_peak, args=(peak,),
              icon=":material/school:", key="guide_round_peak")
st.markdown("""
### What the course teaches about sizing
- **Stream when a person reads the answer.** Streaming makes TTFT the latency that matters, and TTFT is short;
  use sequential (whole-answer) mode only when another system consumes the output, and size on end-to-end latency.
- **Output tokens dominate cost and latency.** Each output token needs a full pass over the weights; input tokens
  are processed together in one parallel step. The TTFT share of end-to-end latency is usually small.
- **Tensor parallelism buys latency, not always throughput.** Splitting a model over two GPUs (TP2) lowers
  latency; two single-GPU copies (2×TP1) often serve more requests at a looser limit. Compare both.
- **Use NVLink for models over ~13 B parameters** that need several GPUs: the all-reduce after every layer is
  on the critical path, and PCIe makes it slow.
- **FP8 roughly doubles throughput** at the same latency on Hopper and later, for about one point of MMLU.
- **A strict latency limit costs servers.** The Sizing page's cost-of-latency chart shows how many.
- **Mind the queue knee.** When the KV cache is full, new requests wait and TTFT rises sharply while
  inter-token latency stays flat; size below that knee.
""")
