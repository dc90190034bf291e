"""Data: what is loaded, uploads of benchmark files, the validation report and the normalised table."""

import logging

import pandas as pd
import streamlit as st

from core import catalog
from core.errors import SizerError
from core.importers import FORMATS, SUFFIXES, RunLabels
from core.table import flagged_runs, summary
from ui import cost as costs
from ui import data, links, nav, view
from ui.text import md, plural

LOG = logging.getLogger(__name__)
UPLOADER = "upload_files"  # widget key prefix; a new key after each add clears the uploader and frees its bytes
MESSAGES = "upload_messages"  # session key: what the last "Add to the data" did


def _uploader_key() -> str:
    return f"{UPLOADER}_{st.session_state.get('upload_round', 0)}"


def _release(files) -> None:
    """Drop the uploader's copy of the bytes on the server now (the rows are kept; the bytes are not needed)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    remove = getattr(getattr(ctx, "uploaded_file_mgr", None), "remove_file", None)
    for file in files:
        if remove is not None:
            remove(session_id=ctx.session_id, file_id=file.file_id)


def _add_files() -> None:
    """The button's callback: runs before the page is drawn, so the counts at the top already include the files."""
    s = st.session_state
    files = s.get(_uploader_key()) or []
    if not files:  # (or they are still on their way: the uploader keeps them, nothing is cleared)
        s[MESSAGES] = [("warning", "Choose one or more files first (wait until each shows its size).")]
        return
    messages: list[tuple[str, str]] = []
    labels = RunLabels(model=(s.get("upload_model") or "").strip() or None,
                       gpu=(s.get("upload_gpu") or "").strip() or None, tp=int(s.get("upload_tp") or 1),
                       precision=s.get("upload_precision") or "fp16",
                       concurrency=float(s.get("upload_concurrency") or 0) or None)
    earlier = {u.name for u in data.uploads()}
    together: set[str] = set()  # names added by this click: files of one name added together are all kept
    for file in files:
        try:
            upload = data.add_upload(file.name, file.getvalue(), labels, keep_same_name=file.name in together)
        except SizerError as exc:
            messages.append(("error", f"Not added: {exc}"))
            continue
        except Exception:  # an importer bug must not cost the visitor the page; the server log has the traceback
            LOG.exception("reading the upload %r failed", file.name)
            messages.append(("error", f"Not added: {file.name} could not be read (an unexpected error; it is in "
                                      "the server's log). Expected " + FORMATS))
            continue
        dropped, notices = len(upload.result.dropped), len(getattr(upload.result, "warnings", []))
        together.add(file.name)
        named = (f"{file.name} as {upload.name} (another file added with it has the same name)"
                 if upload.name != file.name else
                 f"{file.name}, replacing the one added before" if file.name in earlier else file.name)
        messages.append(("success", f"Added {named}: {plural(upload.rows, 'row')}"
                         + (f"; {plural(dropped, 'row')} dropped" if dropped else "")
                         + (f"; {plural(notices, 'notice')}" if notices else "")
                         + (" (see the report below)" if dropped or notices else "")))
    _release(files)
    s[MESSAGES] = messages
    s["upload_round"] = s.get("upload_round", 0) + 1


def _remove_uploads() -> None:
    data.remove_uploads()
    links.drop_data_param()
    st.session_state[MESSAGES] = [("success", "Removed your uploads.")]


nav.ensure_router()
st.title("Data")
loaded = data.current()
info = summary(loaded.table)
cols = st.columns(4)
cols[0].metric("Rows", f"{info['rows']:,}", help="After averaging repeated runs of one configuration")
cols[1].metric("Models", len(info["models"]))
cols[2].metric("GPUs", len(info["gpus"]))
cols[3].metric("Flagged runs", info["flagged"], help="Concurrency differs from req/s × mean latency by > 15 %")
provenance = ", ".join(f"{n:,} {k}" for k, n in info["provenance"].items()) or "nothing loaded"
st.markdown(f"**Provenance:** {provenance}. Loaded at start from `{data.folder_label()}` (set `SIZER_DATA_DIR` to "
            f"use another folder). Data fingerprint **{loaded.fingerprint}**: a link made with uploads carries it, "
            "and the page warns when the data differs.")
data.use_default_toggle()
with st.expander(f"Files ({len(loaded.files)})", expanded=False):
    st.markdown("\n".join(f"- {md(f)}" for f in loaded.files) or "none")

st.subheader("Add benchmark files")
used_bytes, used_rows = data.budget_used()
st.caption(f"Accepted: {FORMATS}. GenAI-Perf, AIPerf and vLLM files do not record the GPU, TP and precision: give "
           "them below (and the model or concurrency when the file lacks them). Each session may hold "
           f"{data.size_text(data.MAX_UPLOAD_BYTES)} of files and {plural(data.MAX_UPLOAD_ROWS, 'row')}; yours "
           + (f"holds {data.size_text(used_bytes)} and {plural(used_rows, 'row')}." if used_bytes else "holds none yet."))
with st.container(border=True):
    st.file_uploader("Benchmark files", type=[s.lstrip(".") for s in SUFFIXES], accept_multiple_files=True,
                     key=_uploader_key())
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.text_input("GPU", placeholder="e.g. H100_80GB_HBM3", key="upload_gpu")
    c2.number_input("TP", min_value=1, max_value=64, value=1, step=1, key="upload_tp")
    c3.selectbox("Precision", ["fp16", "bf16", "fp8", "fp4"], key="upload_precision")
    c4.text_input("Model (if not in the file)", key="upload_model")
    c5.number_input("Concurrency (if not in the file)", min_value=0, value=0, step=1, key="upload_concurrency")
    st.button("Add to the data", icon=":material/upload:", key="upload_add", type="primary", on_click=_add_files,
              disabled=not st.session_state.get(_uploader_key()))  # enabled once the chosen files have arrived
icons = {"success": ":material/check_circle:", "warning": ":material/warning:", "error": ":material/error:"}
shown = st.session_state.pop(MESSAGES, [])
for kind, message in shown:
    getattr(st, kind)(md(message), icon=icons[kind])
if loaded.uploads:
    st.markdown("**Your uploads this session:** " + ", ".join(md(name) for name in loaded.uploads))
    st.button("Remove my uploads", icon=":material/delete:", key="upload_remove", on_click=_remove_uploads)

st.subheader("Validation report")
if loaded.dropped:
    st.warning(f"{plural(len(loaded.dropped), 'row or file', 'rows or files')} were left out:", icon=":material/rule:")
    st.dataframe(pd.DataFrame([vars(d) for d in loaded.dropped]).rename(columns={"row": "row (line)"}),
                 hide_index=True)
else:
    refused = any(kind == "error" for kind, _ in shown)
    st.success("Every row of every loaded file was read" + (" (the files refused above were not added)." if refused
                                                           else "."), icon=":material/check_circle:")
if loaded.warnings:
    st.info(f"{plural(len(loaded.warnings), 'notice')} about the data (kept, but worth a look):\n"
            + "\n".join(f"- {md(w)}" for w in loaded.warnings), icon=":material/info:")
flagged = flagged_runs(loaded.table)
if not flagged.empty:
    st.markdown(f"**{plural(len(flagged), 'run')} fail Little's law** (concurrency vs req/s × mean end-to-end "
                "latency, more than 15 % apart): kept, but look at them. Long runs at high concurrency often had not "
                "settled.")
    st.dataframe(flagged, hide_index=True)

st.subheader("GPU catalog")
st.caption("Facts the performance model uses, each GPU with its sources.")
gpu_rows = [{"GPU": g.name, "memory (GB)": g.memory_gb, "bandwidth (TB/s)": g.bandwidth_tb_s,
             "FP16 TFLOPS": g.tflops_fp16, "FP8 TFLOPS": g.tflops_fp8 or None, "FP4 TFLOPS": g.tflops_fp4 or None,
             "source": g.source} for g in catalog.gpus().values()]
st.dataframe(pd.DataFrame(gpu_rows), hide_index=True)
st.markdown("**Prices** (data/prices.toml): what a server, a GPU-hour in the cloud and a million API tokens cost, "
            "and the site's figures, each with its source and date; a figure edited on the Cost page says so. Prices "
            "move quickly: treat them as a starting point.")
st.dataframe(costs.price_frame(costs.prices().rows()), hide_index=True, key="price_table",
             column_config={"Source": st.column_config.TextColumn("Source", width="large")})
st.page_link("pages/cost.py", label="Edit the prices on the Cost page", icon=":material/payments:")

st.subheader("Normalised table")
st.caption("One canonical schema, units in the column names; averaged repeated runs keep their count in `runs`. "
           "The download loads back as it is (the Data page and the CLI read it).")
st.download_button("Download the normalised table (CSV)", data=lambda: view.safe_csv(data.canonical(loaded)),
                   file_name=f"benchmarks-normalised-{loaded.fingerprint}.csv", mime="text/csv", on_click="ignore",
                   key="dl_table", icon=":material/download:")
st.dataframe(loaded.table.head(200), hide_index=True)
st.caption("The first 200 rows; the download has them all.")
