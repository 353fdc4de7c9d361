// The printout for the person's file and the committee: profile, ranked options with their
// reasons, qualification gaps, exclusions, the decision with its reason, dates and signature
// lines. Built node by node (textContent only), in the page's language (fr, ar or en).

// ctx: { h, t, tNodes, bdi, ltr, format, label, decisionWhat, placeName }
export function buildPrintout(ctx, { result, decision, profile, receivedAt, catalogue }) {
  const { h, t, bdi, format, label } = ctx;
  const region = catalogue?.regions?.find((r) => r.region_id === profile?.region_id);
  const facts = [
    ["print.pseudonym", bdi(result.beneficiary_id)],
    ["print.date", format.dateTime(receivedAt ?? new Date())],
    ["print.diagnosis", bdi(result.diagnosis_id)],
    ["print.model", bdi(result.model_version)],
  ];
  if (profile) {
    facts.push(
      ["field.sex", t(`sex.${profile.sex}`)],
      ["field.age", format.integer(profile.age)],
      ["field.region_id", region ? label(region.names) : profile.region_id],
      ["field.milieu", t(`milieu.${profile.milieu}`)],
      ["field.education_level", t(`education.${profile.education_level}`)],
      ["field.budget_mad", bdi(format.mad(profile.budget_mad))],
    );
    if (profile.health_constraint === "no_heavy_work") facts.push(["field.health_constraint", t("health.no_heavy_work")]);
  }
  const dl = (pairs) => h("dl", {}, pairs.flatMap(([key, value]) => [h("dt", { text: t(key) }), h("dd", {}, value)]));
  const reasons = (rec) =>
    rec.reasons
      .slice(0, 3)
      .map((r) => `${r.effect >= 0 ? "↑" : "↓"} ${label(r.text)}`)
      .join(" · ");
  const rows = result.recommendations.map((rec) =>
    h(
      "tr",
      {},
      h("td", { class: "num", text: format.integer(rec.rank) }),
      h("td", { text: label(rec.names) }),
      h(
        "td",
        { class: "num" },
        format.percent(rec.score),
        rec.score_low != null && rec.score_high != null
          ? h("span", { class: "range", text: ` (${t("print.range", { low: format.percent(rec.score_low), high: format.percent(rec.score_high) })})` })
          : null,
      ),
      h("td", { class: "num" }, bdi(format.mad(rec.cost_mad))),
      h("td", { text: t(`evidence_short.${rec.evidence}`) }),
      h("td", { class: "reasons", text: reasons(rec) }),
    ),
  );
  const columns = ["print.col_rank", "print.col_project", "print.col_chance", "print.col_cost", "print.col_evidence", "print.col_reasons"];
  const gaps = result.qualification_gaps ?? [];
  const excluded = result.excluded ?? [];
  const signature = (key) => h("div", { class: "signature" }, h("span", { text: t(key) }), h("span", { class: "line", text: t("print.sign_date") }));
  return [
    h("h1", { text: t("print.title") }),
    h("p", { class: "advice-note", text: t("results.advice") }),
    h("h2", { text: t("print.profile") }),
    dl(facts),
    h("h2", { text: t("print.ranking") }),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, columns.map((key) => h("th", { scope: "col", text: t(key) })))),
      h("tbody", {}, rows),
    ),
    gaps.length
      ? [
          h("h2", { text: t("print.gaps") }),
          h(
            "ul",
            {},
            gaps.map((gap) =>
              h("li", {
                text: t("gaps.item", {
                  trade: label(gap.trade_names),
                  project: label(gap.names),
                  from: format.integer(gap.rank_without),
                  to: format.integer(gap.rank_with),
                  p_from: format.percent(gap.score_without),
                  p_to: format.percent(gap.score_with),
                }),
              }),
            ),
          ),
        ]
      : null,
    h("h2", { text: t("print.excluded", { n: format.integer(excluded.length) }) }),
    excluded.length
      ? h("ul", { class: "excluded-print" }, excluded.map((item) => h("li", { text: `${ctx.projectName(item.project_type_id)}${ctx.colon()}${label(item.text)}` })))
      : h("p", { text: t("print.no_exclusion") }),
    h("h2", { text: t("print.decision") }),
    decision
      ? dl([
          ["print.decision", ctx.decisionWhat(decision)],
          ["print.date", format.dateTime(new Date(decision.decided_at))],
          ["print.reason", decision.reason],
        ])
      : h("p", { text: t("print.pending") }),
    h("h2", { text: t("print.signatures") }),
    h("div", { class: "signatures" }, signature("print.sign_counsellor"), signature("print.sign_person"), signature("print.sign_committee")),
    h("p", { class: "footer", text: t("print.footer") }),
  ];
}
