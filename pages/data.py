"""Data: what is loaded, uploads of benchmark files, the validation report and the normalised table."""

import pandas as pd
import streamlit as st

from core import catalog
from core.errors import BenchmarkFileError
from core.importers import FORMATS, RunLabels
from core.table import benchmark_dir, flagged_runs, summary
from ui import data, nav

nav.ensure_router("data")
st.title("Data")
loaded = data.current()
info = summary(loaded.table)
cols = st.columns(4)
cols[0].metric("Rows", f"{info['rows']:,}", help="After averaging repeated runs of one configuration")
cols[1].metric("Models", len(info["models"]))
cols[2].metric("GPUs", len(info["gpus"]))
cols[3].metric("Flagged runs", info["flagged"], help="Concurrency differs from req/s × mean latency by > 15 %")
st.markdown(f"**Provenance:** {', '.join(f'{n:,} {k}' for k, n in info['provenance'].items()) or 'nothing loaded'}. "
            f"Loaded at start from `{benchmark_dir()}` (set `SIZER_DATA_DIR` to use another folder).")
data.use_default_toggle()
with st.expander(f"Files ({len(loaded.files)})", expanded=False):
    st.markdown("\n".join(f"- `{f}`" for f in loaded.files) or "none")

st.subheader("Add benchmark files")
st.caption(f"Accepted: {FORMATS}. GenAI-Perf, AIPerf and vLLM files do not record the GPU, TP and precision: give "
           "them below (and the model or concurrency when the file lacks them).")
with st.container(border=True):
    files = st.file_uploader("Benchmark files", type=["csv", "json"], accept_multiple_files=True, key="upload_files")
    c1, c2, c3, c4, c5 = st.columns(5)
    gpu = c1.text_input("GPU", placeholder="e.g. H100_80GB_HBM3", key="upload_gpu")
    tp = c2.number_input("TP", min_value=1, max_value=64, value=1, step=1, key="upload_tp")
    precision = c3.selectbox("Precision", ["fp16", "bf16", "fp8", "fp4"], key="upload_precision")
    model = c4.text_input("Model (if not in the file)", key="upload_model")
    concurrency = c5.number_input("Concurrency (if not in the file)", min_value=0, value=0, step=1,
                                  key="upload_concurrency")
    submitted = st.button("Add to the data", icon=":material/upload:", key="upload_add", type="primary")
if submitted:
    if not files:
        st.warning("Choose one or more files first.", icon=":material/warning:")
    labels = RunLabels(model=model.strip() or None, gpu=gpu.strip() or None, tp=int(tp), precision=precision,
                       concurrency=float(concurrency) or None)
    for file in files or []:
        try:
            dropped = data.add_upload(file.name, file.getvalue(), labels)
        except BenchmarkFileError as exc:
            st.error(f"Not added: {exc}", icon=":material/error:")
            continue
        st.success(f"Added {file.name}" + (f"; {len(dropped)} row(s) dropped (see the report below)" if dropped else ""),
                   icon=":material/check_circle:")
    loaded = data.current()
if data.uploads():
    st.markdown("**Your uploads this session:** " + ", ".join(f"`{name}`" for name, _, _ in data.uploads()))
    if st.button("Remove my uploads", icon=":material/delete:"):
        st.session_state[data.UPLOADS] = ()
        st.rerun()

st.subheader("Validation report")
if loaded.dropped:
    st.warning(f"{len(loaded.dropped)} row(s) or file(s) were left out:", icon=":material/rule:")
    st.dataframe(pd.DataFrame([vars(d) for d in loaded.dropped]).rename(columns={"row": "row (line)"}),
                 hide_index=True)
else:
    st.success("Every row of every file was read.", icon=":material/check_circle:")
flagged = flagged_runs(loaded.table)
if not flagged.empty:
    st.markdown(f"**{len(flagged)} run(s) fail Little's law** (concurrency vs req/s × mean end-to-end latency, more "
                "than 15 % apart): kept, but look at them. Long runs at high concurrency often had not settled.")
    st.dataframe(flagged, hide_index=True)

st.subheader("GPU catalog")
st.caption("Facts the performance model uses and the rental prices behind the cost column: defaults with their "
           "sources and dates (prices move quickly; treat them as a starting point).")
gpu_rows = [{"GPU": g.name, "memory (GB)": g.memory_gb, "bandwidth (TB/s)": g.bandwidth_tb_s,
             "FP16 TFLOPS": g.tflops_fp16, "FP8 TFLOPS": g.tflops_fp8 or None, "FP4 TFLOPS": g.tflops_fp4 or None,
             "USD per GPU-hour": g.usd_per_gpu_hour, "source": g.source} for g in catalog.gpus().values()]
st.dataframe(pd.DataFrame(gpu_rows), hide_index=True)

st.subheader("Normalised table")
st.caption("One canonical schema, units in the column names; averaged repeated runs keep their count in `runs`.")
st.download_button("Download the normalised table (CSV)", data=lambda: loaded.table.to_csv(index=False),
                   file_name="benchmarks-normalised.csv", mime="text/csv", on_click="ignore", key="dl_table",
                   icon=":material/download:")
st.dataframe(loaded.table.head(200), hide_index=True)
st.caption("The first 200 rows; the download has them all.")
