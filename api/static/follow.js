// Following people up: search the centre's cases by pseudonym, read a person's timeline, list
// the follow-ups overdue or due this week, and record a follow-up (the outcome form). Every
// request is scoped to the centre of the key on the server; text is set with textContent only.

const HORIZONS = [0, 3, 6, 12, 24];

// ctx: { h, t, api, ApiError, format, label, projectName, decisionWhat, state, onExpired }
export function setupFollow(ctx) {
  const { h, t, api, format } = ctx;
  const $ = (selector) => document.querySelector(selector);
  const local = { cases: null, file: null, due: null, target: null, error: null, saved: false };

  const day = (iso) => format.date(new Date(`${iso}T12:00:00Z`));

  function renderCases() {
    const list = $("#case-results");
    $("#case-none").hidden = !(local.cases && local.cases.length === 0);
    list.replaceChildren(
      ...(local.cases ?? []).map((c) =>
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: "link",
            text: t("follow.case_item", { id: c.beneficiary_id, n: format.integer(c.n_diagnoses) }),
            onclick: () => openCase(c.beneficiary_id),
          }),
        ),
      ),
    );
  }

  function eventText(event) {
    const d = event.details;
    if (event.kind === "diagnosis") {
      return t("timeline.diagnosis", { names: d.recommended.map(ctx.projectName).join(", ") });
    }
    if (event.kind === "decision") {
      const text = t("timeline.decision", { what: ctx.decisionWhat(d), reason: d.reason });
      return d.changes ? `${text} ${t("timeline.changed")}` : text;
    }
    if (d.horizon_months === 0) return t("timeline.start", { project: ctx.projectName(d.project_type_id), date: day(d.start_date) });
    const active = d[`active_${d.horizon_months}m`];
    const parts = [t(active ? "timeline.active" : "timeline.inactive")];
    if (d.monthly_income_mad !== null) parts.push(t("timeline.income", { amount: format.mad(d.monthly_income_mad) }));
    if (d.version > 1) parts.push(t("timeline.version", { n: format.integer(d.version), reason: d.correction_reason ?? "" }));
    const text = t("timeline.outcome", { h: format.integer(d.horizon_months ?? 12), state: parts.join(", ") });
    return d.note ? `${text} ${d.note}` : text;
  }

  function renderFile() {
    const section = $("#case-file");
    section.hidden = !local.file;
    if (!local.file) return;
    $("#case-title").textContent = t("follow.case_title", { id: local.file.beneficiary_id });
    const items = local.file.events.map((event) =>
      h("li", { class: `event ${event.kind}` }, h("time", { datetime: event.at, text: format.dateTime(new Date(event.at)) }), " ", eventText(event)),
    );
    const decided = [...local.file.events].reverse().find((e) => e.kind === "decision" && e.details.project_type_id);
    if (decided) {
      const started = local.file.events.find((e) => e.kind === "outcome" && e.diagnosis_id === decided.diagnosis_id);
      items.push(
        h(
          "li",
          {},
          h("button", {
            type: "button",
            class: "secondary",
            text: t("follow.record_case"),
            onclick: () =>
              openForm({
                diagnosis_id: decided.diagnosis_id,
                beneficiary_id: local.file.beneficiary_id,
                project_type_id: started?.details.project_type_id ?? decided.details.project_type_id,
                start_date: started?.details.start_date ?? "",
                funded_mad: started?.details.funded_mad,
                horizon_months: started ? 6 : 0,
              }),
          }),
        ),
      );
    }
    $("#timeline").replaceChildren(...items);
  }

  function renderDue() {
    $("#due-none").hidden = !(local.due && local.due.length === 0);
    $("#due-list").replaceChildren(
      ...(local.due ?? []).map((f) =>
        h(
          "li",
          { class: f.status },
          h("span", {
            text: t("follow.due_item", {
              id: f.beneficiary_id,
              h: format.integer(f.horizon_months),
              date: day(f.due_date),
              status: t(f.status === "overdue" ? "follow.overdue" : "follow.due"),
            }),
          }),
          " ",
          h("button", { type: "button", class: "secondary", text: t("follow.record"), onclick: () => openForm(f) }),
        ),
      ),
    );
  }

  function fillTypes(selected) {
    const select = $("#outcome-type");
    const types = ctx.state.catalogue?.projectTypes ?? [];
    select.replaceChildren(
      ...types.map((p) => h("option", { value: p.project_type_id, text: ctx.label(p.names), selected: p.project_type_id === selected })),
    );
  }

  function renderForm() {
    const form = $("#outcome-form");
    form.hidden = !local.target;
    if (!local.target) return;
    const target = local.target;
    $("#outcome-title").textContent = t("outcome.title", { id: target.beneficiary_id });
    const horizon = $("#outcome-horizon");
    const chosen = horizon.value || String(target.horizon_months);
    horizon.replaceChildren(
      ...HORIZONS.map((m) =>
        h("option", { value: String(m), text: m === 0 ? t("outcome.h0") : t("outcome.hn", { h: format.integer(m) }), selected: String(m) === chosen }),
      ),
    );
    fillTypes($("#outcome-type").value || target.project_type_id);
    const error = $("#outcome-error");
    error.hidden = !local.error;
    error.textContent = local.error ? t("outcome.err", local.error) : "";
    const saved = $("#outcome-confirmation");
    saved.hidden = !local.saved;
    saved.textContent = local.saved ? t("outcome.saved") : "";
  }

  function render() {
    renderCases();
    renderFile();
    renderDue();
    renderForm();
  }

  function failed(error) {
    if (error instanceof ctx.ApiError && error.status === 401) ctx.onExpired();
    else throw error;
  }

  async function search(event) {
    event.preventDefault();
    try {
      local.cases = await api(`/v1/cases?q=${encodeURIComponent($("#case-q").value.trim())}`);
      renderCases();
    } catch (error) {
      failed(error);
    }
  }

  async function openCase(id) {
    try {
      local.file = await api(`/v1/cases/${encodeURIComponent(id)}`);
      renderFile();
      $("#case-title").focus();
    } catch (error) {
      failed(error);
    }
  }

  async function loadDue() {
    try {
      local.due = await api("/v1/follow-ups");
      renderDue();
    } catch (error) {
      failed(error);
    }
  }

  function openForm(target) {
    local.target = target;
    local.error = null;
    local.saved = false;
    $("#outcome-form").reset();
    $("#outcome-horizon").value = "";
    $("#outcome-type").value = "";
    renderForm();
    $("#outcome-start").value = target.start_date ?? "";
    const cost = ctx.state.catalogue?.projectTypeById.get(target.project_type_id)?.typical_cost_mad;
    $("#outcome-funded").value = String(target.funded_mad ?? cost ?? "");
    $("#outcome-title").focus();
  }

  function collect() {
    const target = local.target;
    const horizon = Number($("#outcome-horizon").value);
    const body = {
      diagnosis_id: target.diagnosis_id,
      project_type_id: $("#outcome-type").value,
      funded_mad: Number($("#outcome-funded").value),
      start_date: $("#outcome-start").value,
      horizon_months: horizon,
    };
    const active = document.querySelector('input[name="outcome-active"]:checked')?.value;
    if (horizon > 0 && active) body[`active_${horizon}m`] = active === "yes";
    const income = $("#outcome-income").value;
    if (income !== "") body.monthly_income_mad = Number(income);
    const changed = $("#outcome-changed").value.trim();
    if (changed) body.changed_to_reason = changed;
    const note = $("#outcome-note").value.trim();
    if (note) body.note = note;
    return body;
  }

  async function submit(event) {
    event.preventDefault();
    local.error = null;
    local.saved = false;
    try {
      await api("/v1/outcomes", { method: "POST", body: collect() });
      local.saved = true;
      renderForm();
      $("#outcome-confirmation").focus();
      if (local.due) await loadDue();
      if (local.file) await openCase(local.file.beneficiary_id);
    } catch (error) {
      if (error instanceof ctx.ApiError && error.status === 422) {
        const body = error.body ?? {};
        const field = body.field ?? (Array.isArray(body.detail) ? String(body.detail[0]?.loc?.at(-1) ?? "") : "");
        const detail = typeof body.detail === "string" ? body.detail : t("outcome.submit");
        local.error = { field, detail };
        renderForm();
        $("#outcome-error").focus?.();
      } else failed(error);
    }
  }

  $("#case-search").addEventListener("submit", search);
  $("#load-due").addEventListener("click", loadDue);
  $("#outcome-form").addEventListener("submit", submit);
  return { render };
}
