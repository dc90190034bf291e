"""Guide: the metrics and the sizing arithmetic in plain words, with the current scenario's numbers."""

import streamlit as st

from core import document, planning
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
5. Optionally leave headroom. A benchmark keeps exactly N requests in flight; real users arrive in bursts, so at
   the same average load the latency is sometimes worse. Either plan below 100 % of the benchmarked throughput
   (80 % leaves 20 % headroom), or, better, ask for a P(wait) target and let the queue decide (below). The course
   (and the default here) plans at 100 %.

### Planning beyond one number
Every setting below is in the sidebar, under "Headroom, range, spares and growth" (the burst allowance sits with
the traffic, in the Traffic page's body there), and every one travels in the page's link.
- **Sliders.** The latency limits (time to first token, end-to-end, inter-token, tokens per second per user) are
  sliders over sensible steps, "off" first, in the sidebar of every page: move one and the count follows. The
  traffic assumptions are sliders too (30,000,000 calls a year); to type an exact figure, use the boxes on the
  Traffic page. A link with a number between two steps (say an old link's TTFT 320 ms) is read as the nearest step,
  and a message says so.
- **Bursts.** The peak factor turns the yearly average into a busy-hour rate, but inside that hour requests still
  arrive at random, so some seconds bring more than the average. Choose a burst percentile and a window (say 99 %
  over 1 second) and the servers are sized for the number of requests that 99 % of 1-second windows stay under
  (the Poisson distribution), not for the average: at 200 requests a second that is 234, about 17 % more. Longer
  windows need less (over 60 seconds, about 2 % more), because queues absorb a long burst. The Traffic page shows
  the step.
- **Headroom from the queue (open-loop check).** Every answer is also checked as a queue: the model copies it asks
  for are treated as servers that each finish requests at the benchmarked rate, and the Erlang C formula (the one
  call centres staff by) gives how busy they run and the chance that a new request finds them all busy and waits,
  P(wait). Sized at 100 %, as the course does, that chance is high. Instead of guessing a utilisation, ask for
  "P(wait) ≤ 5 %" and the sizer adds the fewest copies that meet it. Big fleets need proportionally less headroom
  than small ones, because many copies smooth each other's bad moments. A burst allowance and a P(wait) target
  guard against the same randomness: using both is on the safe side.
- **A range on every answer.** "5 servers (likely 4–6)": each source of doubt recomputes the server count at its
  low and its high end. For figures from the performance model, its own error on the measurements it was
  calibrated on (wider for FP4 and GPUs nobody measured); for measurements, the spread between repeated runs and
  the step to the next concurrency in the data (the limit is crossed somewhere between two measured points); and
  the ranges you give for the peak factor and the minutes per call ("could be off by ± %"). They are combined as
  independent, and each source's share says which to pin down first. When the chosen point is the highest
  concurrency the data has, the answer says "the data stops here": a run at a higher concurrency might need fewer
  servers.
- **Which assumption matters (tornado).** For the recommended configuration, each assumption moves down and up,
  the others held: the peak factor, minutes per call and requests per call (±20 %, or your range), the latency
  limit (±20 %), the input and output length (to the next length in the data) and the range's own sources. The
  longest bar on the Answer page is the assumption worth checking first.
- **Spares.** N + k: servers kept for failures and maintenance, shown next to the sized count, never mixed into it
  (costs are for the sized count).
- **Growth.** With a growth rate and a horizon (say 25 % a year for 3 years), each year's peak is today's × 1.25 to
  the power of the year, and the Answer page shows the servers for each year, as a table and a chart.
- **The inverse question.** "I have 4 servers" (or "$100,000 a month", rented in the cloud at the Cost page's prices): the Sizing
  page shows, per configuration, the peak it carries within your limits and headroom (after spares and the burst
  allowance) and, through your call assumptions, the calls a year that peak means. It is the sizing read backwards:
  the servers the sizing asks for always carry at least the traffic they were sized for.
""")
sc = scenario.current()
if not view.problems(sc):
    result = view.sizing(data.current(), sc)
    if result is not None and result.best is not None:
        b = result.best
        d = result.design
        rate = d.design_req_per_s if d is not None else sc.traffic.peak_req_per_s
        what = "peak" if d is None or d.burst is None else "rate sized for (the peak with its burst allowance)"
        headroom = "" if b.get("p_wait") is None else (
            f" Checked as a queue, those instances run {b['utilisation'] * 100:.0f} % busy and a request waits for a "
            f"free one with probability {b['p_wait'] * 100:.1f} % (Erlang C).")
        likely = planning.likely(b)
        plan = result.plan or planning.Plan()
        per_server = f"{b['prompts_per_s_per_server']:,.2f} prompts/s per server"
        at = (f"({md(document.gpu_name(b))}, TP{int(b['tp'])}, {md(b['precision'])} at concurrency {b['load']:.3g})")
        if plan.p_wait is not None:
            formula = (f"{what} {rate:,.1f} req/s at {b['req_per_s']:,.3f} req/s per instance {at}, with P(wait) ≤ "
                       f"{plan.p_wait * 100:g} %: Erlang C asks for {plural(int(b['instances']), 'instance')} of "
                       f"{plural(int(b['gpus_per_instance']), 'GPU')}, {b['servers_exact']:.2f} servers")
        else:
            load = f"({per_server} × {result.utilisation * 100:.0f} %)" if result.utilisation < 1 else per_server
            formula = f"{what} {rate:,.1f} req/s ÷ {load} {at} = {b['servers_exact']:.2f} servers"
        st.markdown(f"""
**Your scenario, with its numbers:** {formula}, so **{plural(int(b['servers']), 'whole server')}**
{f'({likely}, counting the sources of doubt)' if likely else ''}; {plural(int(b['instances']), 'instance')} of
{plural(int(b['gpus_per_instance']), 'GPU')} = {plural(int(b['gpus']), 'GPU')}.{headroom}
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
