// The counsellor's page: sign-in, diagnosis form, ranked advice, decision, printable summary.
// Vanilla ES module, no build step, no external resource. The counsellor's key lives in
// sessionStorage and travels only in the Authorization header. Text is never inserted as
// HTML: every node is built with textContent, so catalogue or profile values cannot inject markup.
import { MESSAGES } from "./i18n.js";
import { buildPrintout } from "./printout.js";
import { setupFollow } from "./follow.js";
import { readNumber } from "./numbers.js";

const KEY_STORAGE = "matcher.counsellorKey";
const LANG_STORAGE = "matcher.lang";
const LANGUAGES = ["fr", "ar", "en"];
// French numbers are spaced (45 000 MAD): fr-MA writes 45.000, which reads as 45 dirhams
const LOCALES = { fr: "fr-FR", ar: "ar-MA", en: "en-GB" };
const TOP_K = 5;
const PROFILE = "profile";

const state = {
  lang: "fr",
  catalogue: null,
  provinces: [],
  communes: [],
  result: null,
  profile: null,
  receivedAt: null,
  decision: null,
  choice: null,
  fieldErrors: [],
  generalErrors: [],
  decisionErrors: [],
  message: null,
  signinError: null,
  formStatus: null,
  placeRequest: 0,
};

let rowCounter = 0;
let follow = null;

// ---------------------------------------------------------------------------- helpers
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function t(key, params = {}) {
  const text = MESSAGES[state.lang][key] ?? MESSAGES.fr[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

// Like t(), but placeholders may be nodes (e.g. a <bdi> around a Latin code in Arabic text).
function tNodes(key, params = {}) {
  const text = MESSAGES[state.lang][key] ?? MESSAGES.fr[key] ?? key;
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    fragment.append(text.slice(last, match.index));
    const value = params[match[1]];
    fragment.append(value instanceof Node ? value : String(value ?? match[0]));
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

const bdi = (text) => h("bdi", { text });
// a number kept left-to-right inside Arabic text (Intl's own LRM/RLM marks removed)
const ltr = (text) => h("bdi", { dir: "ltr", text: text.replace(/[\u200e\u200f]/g, "") });
const label = (names) => (names ? names[state.lang] || names.fr : "");
const placeName = (place) => (state.lang === "ar" ? place.name_ar : place.name_fr) || place.name_fr;
const locale = () => LOCALES[state.lang];
const colon = () => (state.lang === "fr" ? " : " : ": ");

const format = {
  percent: (x) => new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 0 }).format(x),
  mad: (x) =>
    new Intl.NumberFormat(locale(), {
      style: "currency",
      currency: "MAD",
      currencyDisplay: state.lang === "ar" ? "symbol" : "code",
      minimumFractionDigits: 0,
      maximumFractionDigits: 0,
    }).format(x),
  integer: (n) => new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 }).format(n),
  // the signed number only; the unit comes from the dictionary ("{n} pts", "{n} نقطة")
  points: (effect) =>
    new Intl.NumberFormat(locale(), {
      maximumFractionDigits: Math.abs(effect) < 0.01 ? 1 : 0,
      signDisplay: "exceptZero",
    })
      .format(effect * 100),
  dateTime: (date) => new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeStyle: "short" }).format(date),
  date: (date) => new Intl.DateTimeFormat(locale(), { dateStyle: "long", timeZone: "UTC" }).format(date),
};

function fold(text) {
  return String(text).normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

// ---------------------------------------------------------------------------- API
class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.code = body && typeof body === "object" ? body.code : undefined;
  }
}

const storedKey = () => sessionStorage.getItem(KEY_STORAGE);

async function api(path, { method = "GET", body, key = storedKey(), headers: extra = {} } = {}) {
  const headers = { ...extra, Accept: "application/json", Authorization: `Bearer ${key ?? ""}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, null);
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// A message for any API failure that is not about a field; null for 401 (handled by the caller).
function failureMessage(error) {
  if (!(error instanceof ApiError)) return { key: "api.error", params: { code: String(error) } };
  if (error.status === 0) return { key: "net.down" };
  if (error.status === 403) return { key: "api.forbidden" };
  if (error.status === 503) return { key: error.code === "no_active_model" ? "api.no_model" : "api.unavailable" };
  return { key: "api.error", params: { code: error.code || error.status } };
}

// ---------------------------------------------------------------------------- language
function applyLanguage(lang) {
  state.lang = LANGUAGES.includes(lang) ? lang : "fr";
  try {
    localStorage.setItem(LANG_STORAGE, state.lang);
  } catch {
    /* private mode: the choice simply is not remembered */
  }
  const root = document.documentElement;
  root.lang = state.lang;
  root.dir = state.lang === "ar" ? "rtl" : "ltr";
  for (const el of $$("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of $$("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  }
  for (const button of $$("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  document.title = t("app.title");
  if (state.catalogue) relabelCatalogue();
  renderExperienceLabels();
  renderAllUnderstood();
  renderTrainingCount();
  renderMessage();
  renderSigninError();
  renderFormStatus();
  renderFieldErrors();
  renderResults();
  renderDecisionErrors();
  renderDecisionConfirmation();
  renderPrintSummary();
  follow?.render();
}

// ---------------------------------------------------------------------------- messages
function setMessage(message, kind = "error") {
  state.message = message ? { ...message, kind } : null;
  renderMessage();
}

function renderMessage() {
  const el = $("#global-message");
  if (!state.message) {
    el.hidden = true;
    el.textContent = "";
    return;
  }
  el.className = `banner ${state.message.kind === "error" ? "banner-error" : "banner-info"}`;
  el.textContent = t(state.message.key, state.message.params);
  el.hidden = false;
}

function renderSigninError() {
  const el = $("#err-api-key");
  const input = $("#api-key");
  if (!state.signinError) {
    el.hidden = true;
    el.textContent = "";
    input.removeAttribute("aria-invalid");
    return;
  }
  el.textContent = t(state.signinError);
  el.hidden = false;
  if (state.signinError !== "auth.checking") input.setAttribute("aria-invalid", "true");
}

function renderFormStatus() {
  $("#form-status").textContent = state.formStatus ? t(state.formStatus) : "";
}

// ---------------------------------------------------------------------------- sign-in
function showSignin(messageKey) {
  $("#app").hidden = true;
  $("#signout").hidden = true;
  $("#signin-section").hidden = false;
  state.signinError = null;
  renderSigninError();
  setMessage(messageKey ? { key: messageKey } : null, messageKey === "auth.signed_out" ? "info" : "error");
  $("#api-key").focus();
}

function showApp() {
  $("#signin-section").hidden = true;
  $("#app").hidden = false;
  $("#signout").hidden = false;
}

async function signIn(event) {
  event.preventDefault();
  const input = $("#api-key");
  const key = input.value.trim();
  if (!key) {
    state.signinError = "auth.empty";
    renderSigninError();
    input.focus();
    return;
  }
  state.signinError = "auth.checking";
  renderSigninError();
  try {
    if (state.catalogue) await api("/v1/sectors", { key });
    else await loadCatalogue(key);
  } catch (error) {
    state.signinError = error instanceof ApiError && error.status === 401 ? "auth.wrong" : null;
    renderSigninError();
    if (!state.signinError) setMessage(failureMessage(error));
    input.select();
    input.focus();
    return;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  input.value = "";
  state.signinError = null;
  renderSigninError();
  setMessage(null);
  showApp();
  $("#beneficiary_id").focus();
}

function signOut() {
  sessionStorage.removeItem(KEY_STORAGE);
  resetWork();
  showSignin("auth.signed_out");
}

// A 401 while working: the key is gone, but everything typed stays for after sign-in.
function sessionExpired() {
  sessionStorage.removeItem(KEY_STORAGE);
  showSignin("auth.expired");
}

function resetWork() {
  $("#diagnosis-form").reset();
  $("#decision-form").reset();
  $("#experience-rows").replaceChildren();
  renderExperienceLabels();
  for (const select of [$("#province"), $("#commune_code")]) {
    select.disabled = true;
    select.length = 1;
  }
  Object.assign(state, {
    provinces: [],
    communes: [],
    result: null,
    decision: null,
    choice: null,
    fieldErrors: [],
    generalErrors: [],
    decisionErrors: [],
    formStatus: null,
  });
  filterTrades();
  renderTrainingCount();
  renderFieldErrors();
  renderResults();
  renderDecisionErrors();
  renderDecisionConfirmation();
  renderPrintSummary();
}

// ---------------------------------------------------------------------------- catalogue
async function loadCatalogue(key) {
  const [projectTypes, trades, sectors, regions] = await Promise.all(
    ["/v1/project-types", "/v1/trades", "/v1/sectors", "/v1/regions"].map((path) => api(path, { key })),
  );
  state.catalogue = {
    projectTypes,
    projectTypeById: new Map(projectTypes.map((p) => [p.project_type_id, p])),
    trades,
    tradeById: new Map(trades.map((tr) => [tr.trade_id, tr])),
    sectors,
    sectorById: new Map(sectors.map((s) => [s.sector_id, s])),
    regions,
  };
  buildTradeList();
  buildSectorList();
  relabelCatalogue();
}

function fillSelect(select, items, valueOf, labelOf, { sort = true } = {}) {
  const current = select.value;
  const placeholder = select.options[0];
  const rows = items.map((item) => ({ value: valueOf(item), text: labelOf(item) }));
  if (sort) rows.sort((a, b) => a.text.localeCompare(b.text, locale()));
  select.replaceChildren(placeholder, ...rows.map((row) => h("option", { value: row.value, text: row.text })));
  select.value = rows.some((row) => row.value === current) ? current : "";
}

function buildTradeList() {
  const list = $("#trade-list");
  list.replaceChildren(
    ...state.catalogue.trades.map((trade) =>
      h(
        "li",
        { "data-trade": trade.trade_id },
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "trainings", value: trade.trade_id, onchange: renderTrainingCount }),
          h("span", { class: "trade-name" }),
        ),
      ),
    ),
  );
}

function buildSectorList() {
  $("#sector-list").replaceChildren(
    ...state.catalogue.sectors.map((sector) =>
      h(
        "li",
        { "data-sector": sector.sector_id },
        h(
          "label",
          {},
          h("input", { type: "checkbox", name: "preferred_sectors", value: sector.sector_id }),
          h("span", { class: "sector-name" }),
        ),
      ),
    ),
  );
}

function relabelCatalogue() {
  const { catalogue } = state;
  fillSelect($("#region_id"), catalogue.regions, (r) => r.region_id, (r) => label(r.names), { sort: false });
  fillSelect($("#province"), state.provinces, (p) => p.code, placeName);
  fillSelect($("#commune_code"), state.communes, (c) => c.code, placeName);
  for (const li of $$("#trade-list li")) {
    $(".trade-name", li).textContent = label(catalogue.tradeById.get(li.dataset.trade).names);
  }
  for (const li of $$("#sector-list li")) {
    $(".sector-name", li).textContent = label(catalogue.sectorById.get(li.dataset.sector).names);
  }
  for (const select of $$("#experience-rows select")) fillTradeSelect(select);
  fillOtherTypes();
  filterTrades();
}

function fillTradeSelect(select) {
  fillSelect(select, state.catalogue.trades, (tr) => tr.trade_id, (tr) => label(tr.names));
}

function fillOtherTypes() {
  const shown = new Set((state.result?.recommendations ?? []).map((r) => r.project_type_id));
  const others = state.catalogue.projectTypes.filter((p) => !shown.has(p.project_type_id));
  fillSelect($("#other-type"), others, (p) => p.project_type_id, (p) => label(p.names));
}

function filterTrades() {
  const query = fold($("#trade-filter").value.trim());
  let visible = 0;
  for (const li of $$("#trade-list li")) {
    const trade = state.catalogue?.tradeById.get(li.dataset.trade);
    const haystack = trade ? fold([trade.trade_id, ...Object.values(trade.names)].join(" ")) : "";
    const match = !query || haystack.includes(query);
    li.hidden = !match;
    if (match) visible += 1;
  }
  $("#trade-list-empty").hidden = visible > 0 || !state.catalogue;
}

function renderTrainingCount() {
  const n = $$("#trade-list input:checked").length;
  $("#trainings-count").textContent = n ? t("trainings.count", { n: format.integer(n) }) : "";
}

// Region -> provinces -> communes, each list from the API; a late answer never overwrites a newer one.
async function onRegionChange() {
  const region = $("#region_id").value;
  const request = ++state.placeRequest;
  state.provinces = [];
  state.communes = [];
  const province = $("#province");
  const commune = $("#commune_code");
  province.value = "";
  commune.value = "";
  fillSelect(province, [], null, null);
  fillSelect(commune, [], null, null);
  province.disabled = true;
  commune.disabled = true;
  if (!region) return;
  try {
    const provinces = await api(`/v1/regions/${encodeURIComponent(region)}/provinces`);
    if (request !== state.placeRequest) return;
    state.provinces = provinces;
    fillSelect(province, provinces, (p) => p.code, placeName);
    province.disabled = provinces.length === 0;
  } catch (error) {
    handleBackgroundError(error);
  }
}

async function onProvinceChange() {
  const region = $("#region_id").value;
  const province = $("#province").value;
  const commune = $("#commune_code");
  const request = ++state.placeRequest;
  state.communes = [];
  commune.value = "";
  fillSelect(commune, [], null, null);
  commune.disabled = true;
  if (!region || !province) return;
  try {
    const query = new URLSearchParams({ province });
    const communes = await api(`/v1/regions/${encodeURIComponent(region)}/communes?${query}`);
    if (request !== state.placeRequest) return;
    state.communes = communes;
    fillSelect(commune, communes, (c) => c.code, placeName);
    commune.disabled = communes.length === 0;
  } catch (error) {
    handleBackgroundError(error);
  }
}

function handleBackgroundError(error) {
  if (error instanceof ApiError && error.status === 401) sessionExpired();
  else setMessage(failureMessage(error));
}

// ---------------------------------------------------------------------------- experience rows
function addExperienceRow(focus = true) {
  rowCounter += 1;
  const id = `exp-${rowCounter}`;
  const select = h("select", { id: `${id}-trade`, "aria-describedby": `err-${id}` }, h("option", { value: "", "data-i18n": "select.choose", text: t("select.choose") }));
  if (state.catalogue) fillTradeSelect(select);
  const years = h("input", {
    id: `${id}-years`,
    class: "exp-years",
    type: "text",
    inputmode: "decimal",
    autocomplete: "off",
    dir: "ltr",
    "data-kind": "years",
    "data-read": `read-${id}`,
    "aria-describedby": `read-${id} err-${id}`,
  });
  years.addEventListener("input", () => renderUnderstood(years));
  const row = h(
    "li",
    { "data-row": id },
    h("div", {}, h("label", { for: `${id}-trade`, class: "exp-trade-label" }), select),
    h(
      "div",
      {},
      h("label", { for: `${id}-years`, class: "exp-years-label" }),
      years,
      h("p", { class: "understood", id: `read-${id}`, "aria-live": "polite", hidden: true }),
    ),
    h("button", { type: "button", class: "secondary remove", onclick: () => removeExperienceRow(row) }),
    h("p", { class: "field-error", id: `err-${id}`, hidden: true }),
  );
  $("#experience-rows").append(row);
  renderExperienceLabels();
  if (focus) select.focus();
  return row;
}

function removeExperienceRow(row) {
  const next = row.nextElementSibling ?? row.previousElementSibling;
  state.fieldErrors = state.fieldErrors.filter((e) => e.row !== row.dataset.row);
  row.remove();
  renderExperienceLabels();
  renderFieldErrors();
  (next?.querySelector("select") ?? $("#add-experience")).focus();
}

function renderExperienceLabels() {
  $$("#experience-rows li[data-row]").forEach((row, index) => {
    const which = ` — ${t("experience.row", { n: format.integer(index + 1) })}`;
    $(".exp-trade-label", row).replaceChildren(t("experience.trade"), h("span", { class: "vh", text: which }));
    $(".exp-years-label", row).replaceChildren(t("experience.years"), h("span", { class: "vh", text: which }));
    $(".remove", row).replaceChildren(t("experience.remove"), h("span", { class: "vh", text: which }));
  });
}

// ---------------------------------------------------------------------------- the profile
function numberValue(input, kind = "money") {
  const raw = input.value.trim();
  if (raw === "") return undefined;
  if (input.type !== "number") return readNumber(raw, kind).value;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

// The value a typed number was read as, shown under its field before anything is sent.
function understoodText(input) {
  const kind = input.dataset.kind;
  const read = readNumber(input.value, kind);
  if (read.empty) return null;
  if (read.error) return { text: t("read.unreadable", { raw: input.value.trim() }), error: true };
  const where = locale(); // fr-FR: thousands spaced, so the value read never looks decimal
  const shown =
    kind === "years"
      ? t("read.years", { value: new Intl.NumberFormat(where, { maximumFractionDigits: 2 }).format(read.value) })
      : t("read.money", {
          value: new Intl.NumberFormat(where, {
            style: "currency",
            currency: "MAD",
            currencyDisplay: state.lang === "ar" ? "symbol" : "code",
            minimumFractionDigits: 0,
            maximumFractionDigits: 2,
          }).format(read.value),
        });
  return { text: shown.replace(/[\u200e\u200f]/g, ""), error: false };
}

function renderUnderstood(input) {
  const out = document.getElementById(input.dataset.read);
  if (!out) return;
  const shown = understoodText(input);
  out.hidden = !shown;
  out.textContent = shown ? shown.text : "";
  out.classList.toggle("understood-error", Boolean(shown?.error));
}

function renderAllUnderstood() {
  for (const input of $$("input[data-read]")) renderUnderstood(input);
}

function collectProfile() {
  const form = $("#diagnosis-form");
  const profile = {};
  const text = (id) => $(`#${id}`).value.trim();
  const radio = (name) => form.querySelector(`input[name="${name}"]:checked`)?.value;
  if (text("beneficiary_id")) profile.beneficiary_id = text("beneficiary_id");
  if (radio("sex")) profile.sex = radio("sex");
  const age = numberValue($("#age"));
  if (age !== undefined) profile.age = age;
  if (text("region_id")) profile.region_id = text("region_id");
  if (radio("milieu")) profile.milieu = radio("milieu");
  if (text("education_level")) profile.education_level = text("education_level");
  profile.trainings = $$("#trade-list input:checked").map((input) => input.value);
  profile.experience = [];
  for (const row of $$("#experience-rows li[data-row]")) {
    const trade = $("select", row).value;
    const years = numberValue($(".exp-years", row), "years");
    if (!trade && years === undefined) continue;
    const item = {};
    if (trade) item.trade_id = trade;
    if (years !== undefined) item.years = years;
    profile.experience.push(item);
  }
  const budget = numberValue($("#budget_mad"));
  if (budget !== undefined) profile.budget_mad = budget;
  profile.preferred_sectors = $$("#sector-list input:checked").map((input) => input.value);
  profile.health_constraint = $("#health_constraint").checked ? "no_heavy_work" : "none";
  if (text("commune_code")) profile.commune_code = text("commune_code");
  return profile;
}

// Rows that were skipped as empty do not count in the API's experience index.
function experienceRows() {
  return $$("#experience-rows li[data-row]").filter(
    (row) => $("select", row).value || $(".exp-years", row).value.trim(),
  );
}

// ---------------------------------------------------------------------------- field errors
const FIELD_LABELS = {
  beneficiary_id: "field.beneficiary_id",
  sex: "field.sex",
  age: "field.age",
  region_id: "field.region_id",
  commune_code: "field.commune_code",
  milieu: "field.milieu",
  education_level: "field.education_level",
  trainings: "field.trainings",
  experience: "field.experience",
  budget_mad: "field.budget_mad",
  preferred_sectors: "field.preferred_sectors",
  health_constraint: "field.health_constraint",
};
const CHOICE_FIELDS = new Set(["sex", "milieu", "education_level", "region_id"]);

function messageFor(field, type, part) {
  if (type === "missing") return CHOICE_FIELDS.has(field) ? "err.choose" : "err.missing";
  if (type === "too_long") return "err.too_many";
  switch (field) {
    case "beneficiary_id":
      return "err.beneficiary_id";
    case "age":
      return "err.age";
    case "budget_mad":
      if (type === "greater_than_equal") return "err.budget_min";
      if (type === "less_than_equal") return "err.budget_max";
      if (type === "value_error" || type === "domain") return "err.budget_small";
      return "err.number";
    case "region_id":
      return "err.region_id";
    case "commune_code":
      return "err.commune_code";
    case "sex":
    case "milieu":
    case "education_level":
      return "err.choose";
    case "trainings":
      return "err.trades";
    case "preferred_sectors":
      return "err.sectors";
    case "experience":
      if (part === undefined && type === "value_error") return "err.years_age";
      if (part === "years") return type === "missing" ? "err.missing" : "err.years";
      if (part === "trade_id") return type === "missing" ? "err.choose" : "err.trades";
      return "err.trades";
    default:
      return "err.invalid";
  }
}

// One API issue -> {field, row?, part?, key}; loc is ["body", "profile", field, index?, part?].
function issueToError(loc, type) {
  const path = loc[0] === "body" ? loc.slice(1) : loc;
  if (path[0] !== PROFILE || path.length < 2 || !(path[1] in FIELD_LABELS)) {
    return { field: null, key: "err.invalid", raw: path.join(".") };
  }
  const field = path[1];
  const error = { field, key: messageFor(field, type, path[3]) };
  if (field === "experience" && Number.isInteger(path[2])) {
    const row = experienceRows()[path[2]];
    if (row) Object.assign(error, { row: row.dataset.row, part: path[3] === "trade_id" ? "trade" : "years" });
  }
  return error;
}

// 422 invalid_profile: "region_id: unknown region 'MA-99'; trainings: unknown trade 'x'".
function domainErrors(body) {
  const errors = [];
  for (const part of String(body.detail ?? "").split("; ")) {
    const match = /^([a-z_]+)\s*:/.exec(part);
    if (match && match[1] in FIELD_LABELS) errors.push({ field: match[1], key: messageFor(match[1], "domain") });
  }
  const named = typeof body.field === "string" ? body.field.replace(/^profile\./, "") : null;
  if (named in FIELD_LABELS && !errors.some((e) => e.field === named)) {
    errors.push({ field: named, key: messageFor(named, "domain") });
  }
  return errors.length ? errors : [{ field: null, key: "err.invalid", raw: String(body.detail ?? "") }];
}

function targetOf(error) {
  if (error.row) {
    const row = $(`li[data-row="${error.row}"]`);
    if (!row) return null;
    return {
      control: error.part === "trade" ? $("select", row) : $(".exp-years", row),
      message: $(".field-error", row),
      labelText: `${t(error.part === "trade" ? "experience.trade" : "experience.years")} — ${t("experience.row", {
        n: format.integer($$("#experience-rows li[data-row]").indexOf(row) + 1),
      })}`,
    };
  }
  const container = $(`#${error.field}`);
  const control =
    container && container.matches("input, select, textarea")
      ? container
      : container?.querySelector("input, select, textarea") ?? container;
  return { control, container, message: $(`#err-${error.field}`), labelText: t(FIELD_LABELS[error.field]) };
}

function renderFieldErrors() {
  for (const el of $$("#diagnosis-form [aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of $$("#diagnosis-form .field-invalid")) el.classList.remove("field-invalid");
  for (const el of $$("#diagnosis-form .field-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  const summary = $("#error-summary");
  const items = [];
  for (const error of state.fieldErrors) {
    const target = targetOf(error);
    if (!target?.message) continue;
    const text = t(error.key, error.params);
    target.message.textContent = target.message.hidden ? text : `${target.message.textContent} ${text}`;
    target.message.hidden = false;
    if (target.control?.matches("input:not([type=radio]):not([type=checkbox]), select, textarea")) {
      target.control.setAttribute("aria-invalid", "true");
    } else if (target.container) {
      target.container.classList.add("field-invalid");
    }
    items.push(
      h(
        "li",
        {},
        h("a", {
          href: `#${target.control?.id || error.field}`,
          text: `${target.labelText}${colon()}${text}`,
          onclick: (event) => {
            event.preventDefault();
            target.control?.focus();
          },
        }),
      ),
    );
  }
  for (const error of state.generalErrors) {
    items.push(h("li", { text: error.raw ? `${t(error.key)} (${error.raw})` : t(error.key, error.params) }));
  }
  $("ul", summary).replaceChildren(...items);
  summary.hidden = items.length === 0;
}

function showFieldErrors(errors) {
  state.fieldErrors = errors.filter((e) => e.field);
  state.generalErrors = errors.filter((e) => !e.field);
  renderFieldErrors();
  const summary = $("#error-summary");
  if (!summary.hidden) {
    const first = state.fieldErrors.length ? targetOf(state.fieldErrors[0])?.control : null;
    (first ?? summary).focus();
  }
}

function clearFieldErrors() {
  state.fieldErrors = [];
  state.generalErrors = [];
  renderFieldErrors();
}

// ---------------------------------------------------------------------------- diagnosis
async function submitDiagnosis(event) {
  event.preventDefault();
  clearFieldErrors();
  setMessage(null);
  const unreadable = ["age"].filter((id) => $(`#${id}`).validity.badInput).map((id) => ({ field: id, key: "err.number" }));
  const typed = (input) => ({ raw: input.value.trim() });
  if (readNumber($("#budget_mad").value, "money").error) {
    unreadable.push({ field: "budget_mad", key: "read.unreadable", params: typed($("#budget_mad")) });
  }
  for (const row of $$("#experience-rows li[data-row]")) {
    const input = $(".exp-years", row);
    if (readNumber(input.value, "years").error) {
      unreadable.push({ field: "experience", row: row.dataset.row, part: "years", key: "read.unreadable", params: typed(input) });
    }
  }
  if (unreadable.length) {
    showFieldErrors(unreadable);
    return;
  }
  const profile = collectProfile();
  const button = $("#submit-diagnosis");
  button.disabled = true;
  state.formStatus = "form.sending";
  renderFormStatus();
  try {
    const objective = $('input[name="objective"]:checked')?.value;
    // livelihood is the server's default when the model has an income part; asking for it
    // explicitly from a version without one would be refused, so only survival is sent
    const body = objective === "survival" ? { profile, top_k: TOP_K, objective } : { profile, top_k: TOP_K };
    const result = await api("/v1/diagnoses", { method: "POST", body });
    state.result = result;
    state.profile = profile;
    state.receivedAt = new Date();
    state.decision = null;
    state.choice = null;
    state.decisionErrors = [];
    $("#decision-reason").value = "";
    $("#excluded").open = false;
    state.formStatus = "form.done";
    fillOtherTypes();
    renderResults();
    renderDecisionErrors();
    renderDecisionConfirmation();
    renderPrintSummary();
    $("#results-title").focus();
    $("#results-section").scrollIntoView({ block: "start" });
  } catch (error) {
    state.formStatus = null;
    if (error instanceof ApiError && error.status === 401) {
      sessionExpired();
    } else if (error instanceof ApiError && error.status === 422) {
      state.result = null;
      renderResults();
      const body = error.body ?? {};
      showFieldErrors(
        Array.isArray(body.detail) ? body.detail.map((issue) => issueToError(issue.loc ?? [], issue.type)) : domainErrors(body),
      );
    } else {
      state.generalErrors = [failureMessage(error)];
      renderFieldErrors();
      $("#error-summary").focus();
    }
  } finally {
    button.disabled = false;
    renderFormStatus();
  }
}

// ---------------------------------------------------------------------------- results
function projectName(id) {
  const fromResult = state.result?.recommendations.find((r) => r.project_type_id === id);
  if (fromResult) return label(fromResult.names);
  const type = state.catalogue?.projectTypeById.get(id);
  return type ? label(type.names) : id;
}

function reasonList(reasons) {
  if (!reasons.length) return h("p", { class: "help", text: t("reasons.none") });
  return h(
    "ul",
    {},
    reasons.map((reason) => {
      const up = reason.effect >= 0;
      return h(
        "li",
        { class: up ? "up" : "down" },
        h("span", { class: "arrow", "aria-hidden": "true", text: up ? "↑" : "↓" }),
        h("span", { class: "vh", text: `${t(up ? "reasons.raises" : "reasons.lowers")}${colon()}` }),
        h("span", { class: "reason-text", text: label(reason.text) }),
        h("span", { class: "pts" }, tNodes("points", { n: ltr(format.points(reason.effect)) })),
      );
    }),
  );
}

// Two options ranked by survival are "about as good" when their 90 % ranges overlap over at
// least half of the narrower one: the order between them is then not to be read as a verdict.
// Only for the survival ranking, since the ranges are ranges of the survival score.
const WIDE_OVERLAP = 0.5;
function aboutAsGood(rec) {
  const result = state.result;
  if (!result || result.objective !== "survival" || rec.rank < 2) return null;
  const above = result.recommendations.find((r) => r.rank === rec.rank - 1);
  if (!above || above.score_low == null || rec.score_low == null) return null;
  const overlap = Math.min(above.score_high, rec.score_high) - Math.max(above.score_low, rec.score_low);
  const narrower = Math.min(above.score_high - above.score_low, rec.score_high - rec.score_low);
  return narrower > 0 && overlap >= WIDE_OVERLAP * narrower ? above : null;
}

function renderCard(rec) {
  const pct = Math.round(rec.score * 100);
  const chanceId = `chance-${rec.project_type_id}`;
  const fill = h("div", { class: "bar-fill" });
  fill.style.inlineSize = `${Math.max(0, Math.min(100, rec.score * 100))}%`;
  const gap = (state.result.qualification_gaps ?? []).find((g) => g.project_type_id === rec.project_type_id);
  const person = rec.reasons.filter((r) => r.group === "person");
  const market = rec.reasons.filter((r) => r.group === "market");
  const sector = state.catalogue?.sectorById.get(rec.sector_id);
  const radioId = `choose-${rec.project_type_id}`;
  const chosen = state.choice?.choice === "recommended" && state.choice.type === rec.project_type_id;
  return h(
    "li",
    { class: `card ${rec.evidence === "thin" ? "thin" : ""} ${chosen ? "chosen" : ""}`, "data-type": rec.project_type_id },
    h(
      "div",
      { class: "card-head" },
      h("span", { class: "rank", "aria-label": t("card.rank", { n: rec.rank }), text: format.integer(rec.rank) }),
      h("h3", { text: label(rec.names) }),
      sector ? h("span", { class: "sector", text: label(sector.names) }) : null,
    ),
    h(
      "div",
      { class: "chance" },
      h("div", { class: "chance-label", id: chanceId, text: t("card.chance") }),
      h(
        "div",
        { class: "chance-row" },
        h(
          "div",
          {
            class: "bar",
            role: "meter",
            "aria-labelledby": chanceId,
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": String(pct),
            "aria-valuetext": format.percent(rec.score),
          },
          fill,
        ),
        h("strong", { class: "pct" }, ltr(format.percent(rec.score))),
      ),
      rec.score_low != null && rec.score_high != null
        ? h("p", {
            class: "range",
            text: t("card.range", { low: format.percent(rec.score_low), high: format.percent(rec.score_high) }),
          })
        : null,
      aboutAsGood(rec)
        ? h("p", { class: "about-as-good", text: t("card.about_as_good", { n: format.integer(aboutAsGood(rec).rank) }) })
        : null,
      rec.livelihood != null && rec.expected_income_mad != null
        ? h("p", {
            class: "livelihood",
            text: t("card.livelihood", {
              threshold: format.mad(state.result.livelihood_mad ?? 3000),
              p: format.percent(rec.livelihood),
              income: format.mad(rec.expected_income_mad),
            }),
          })
        : null,
      h(
        "p",
        { class: `evidence evidence-${rec.evidence}` },
        rec.evidence === "thin" ? h("span", { "aria-hidden": "true", text: "⚠" }) : null,
        h("span", { text: t(`evidence.${rec.evidence}`, { n: format.integer(rec.evidence_n) }) }),
      ),
    ),
    h(
      "dl",
      { class: "money" },
      h("dt", { text: t("card.cost") }),
      h("dd", {}, bdi(format.mad(rec.cost_mad))),
      h("dt", { text: t("card.budget") }),
      h("dd", {}, bdi(format.mad(rec.budget_mad))),
      h("dt", { class: "margin", text: t("card.margin") }),
      h("dd", { class: "margin" }, bdi(format.mad(rec.margin_mad))),
    ),
    rec.missing_trade_text
      ? h(
          "p",
          { class: "card-missing-trade", "data-trades": (rec.missing_trades ?? []).join(" ") },
          h("span", { "aria-hidden": "true", text: "⚠ " }),
          h("span", { text: label(rec.missing_trade_text) }),
        )
      : null,
    h(
      "details",
      { class: "reasons" },
      h("summary", { text: t("card.reasons") }),
      h(
        "div",
        { class: "reason-groups" },
        h("section", {}, h("h4", { text: t("reasons.person") }), reasonList(person)),
        h("section", {}, h("h4", { text: t("reasons.market") }), reasonList(market)),
      ),
    ),
    gap
      ? h(
          "p",
          { class: "card-gap" },
          tNodes("card.gap", { trade: label(gap.trade_names), from: format.integer(gap.rank_without), to: format.integer(gap.rank_with) }),
        )
      : null,
    h(
      "div",
      { class: "choose" },
      h(
        "label",
        { for: radioId },
        h("input", {
          type: "radio",
          id: radioId,
          name: "choice",
          value: "recommended",
          form: "decision-form",
          "data-type": rec.project_type_id,
          checked: chosen,
          "aria-describedby": "err-decision-choice",
        }),
        h("span", { text: t("card.choose") }),
        h("span", { class: "vh", text: `${colon()}${label(rec.names)}` }),
      ),
    ),
  );
}

function renderResults() {
  const result = state.result;
  const section = $("#results-section");
  const decision = $("#decision-section");
  if (!result || !state.catalogue) {
    section.hidden = true;
    decision.hidden = true;
    $("#cards").replaceChildren();
    return;
  }
  section.hidden = false;
  decision.hidden = false;
  $("#results-title").replaceChildren(tNodes("results.title_for", { id: bdi(result.beneficiary_id) }));
  $("#results-meta").replaceChildren(
    tNodes("results.meta", {
      version: bdi(result.model_version),
      n: format.integer(result.n_eligible),
      total: format.integer(state.catalogue.projectTypes.length),
    }),
  );
  if (result.objective) {
    $("#results-meta").append(" ", t(`results.ranked_by.${result.objective}`));
  }
  $("#results-empty").hidden = result.recommendations.length > 0;
  $("#cards").replaceChildren(...result.recommendations.map(renderCard));

  const gaps = result.qualification_gaps ?? [];
  $("#gaps").hidden = gaps.length === 0;
  $("#gap-list").replaceChildren(
    ...gaps.map((gap) =>
      h(
        "li",
        {},
        tNodes("gaps.item", {
          trade: label(gap.trade_names),
          project: label(gap.names),
          from: format.integer(gap.rank_without),
          to: format.integer(gap.rank_with),
          p_from: ltr(format.percent(gap.score_without)),
          p_to: ltr(format.percent(gap.score_with)),
        }),
      ),
    ),
  );

  $("#excluded-summary").textContent = t("excluded.summary", { n: format.integer(result.excluded.length) });
  $("#excluded").hidden = result.excluded.length === 0;
  $("#excluded-list").replaceChildren(
    ...result.excluded.map((item) => {
      const type = state.catalogue.projectTypeById.get(item.project_type_id);
      return h(
        "li",
        {},
        h("strong", { text: projectName(item.project_type_id) }),
        type ? h("span", { class: "why" }, " (", bdi(format.mad(type.typical_cost_mad)), ")") : null,
        " — ",
        h("span", { text: label(item.text) }),
      );
    }),
  );
  syncChoice();
}

// ---------------------------------------------------------------------------- decision
function readChoice() {
  const checked = $$('input[name="choice"]').find((input) => input.checked);
  if (!checked) return null;
  if (checked.value === "recommended") return { choice: "recommended", type: checked.dataset.type };
  if (checked.value === "other") return { choice: "other", type: $("#other-type").value || null };
  return { choice: "none", type: null };
}

function syncChoice() {
  const choice = state.choice;
  for (const input of $$('input[name="choice"]')) {
    input.checked =
      !!choice &&
      input.value === choice.choice &&
      (choice.choice !== "recommended" || input.dataset.type === choice.type);
  }
  for (const card of $$("#cards .card")) {
    card.classList.toggle("chosen", choice?.choice === "recommended" && card.dataset.type === choice.type);
  }
}

function onChoiceChange() {
  state.choice = readChoice();
  syncChoice();
}

function renderDecisionErrors() {
  for (const id of ["decision-choice", "decision-reason"]) {
    const message = $(`#err-${id}`);
    const error = state.decisionErrors.find((e) => e.field === id);
    message.hidden = !error;
    message.textContent = error ? (error.raw ? `${t(error.key, error.params)} ${error.raw}` : t(error.key, error.params)) : "";
  }
  const reasonError = state.decisionErrors.some((e) => e.field === "decision-reason");
  if (reasonError) $("#decision-reason").setAttribute("aria-invalid", "true");
  else $("#decision-reason").removeAttribute("aria-invalid");
  const otherError = state.decisionErrors.some((e) => e.key === "decision.err_other");
  if (otherError) $("#other-type").setAttribute("aria-invalid", "true");
  else $("#other-type").removeAttribute("aria-invalid");
}

function decisionWhat(decision) {
  if (decision.choice === "none") return t("decision.what_none");
  const rec = state.result?.recommendations.find((r) => r.project_type_id === decision.project_type_id);
  return rec
    ? t("decision.recommended_label", { name: label(rec.names), rank: format.integer(rec.rank) })
    : t("decision.other_label", { name: projectName(decision.project_type_id) });
}

function renderDecisionConfirmation() {
  const el = $("#decision-confirmation");
  const decision = state.decision;
  el.hidden = !decision;
  el.textContent = decision
    ? t("decision.saved", { date: format.dateTime(new Date(decision.decided_at)), what: decisionWhat(decision) })
    : "";
}

async function submitDecision(event) {
  event.preventDefault();
  const choice = readChoice();
  const reason = $("#decision-reason").value.trim();
  const errors = [];
  if (!choice) errors.push({ field: "decision-choice", key: "decision.err_choice" });
  else if (choice.choice === "other" && !choice.type) errors.push({ field: "decision-choice", key: "decision.err_other" });
  if (!reason) errors.push({ field: "decision-reason", key: "decision.err_reason" });
  state.decisionErrors = errors;
  renderDecisionErrors();
  if (errors.length) {
    const first = errors[0].field === "decision-reason" ? $("#decision-reason") : choice?.choice === "other" ? $("#other-type") : $$('input[name="choice"]')[0];
    first?.focus();
    return;
  }
  const button = $('#decision-form button[type="submit"]');
  button.disabled = true;
  const status = $("#decision-confirmation");
  status.hidden = false;
  status.textContent = t("decision.saving");
  try {
    const body = { choice: choice.choice, project_type_id: choice.type, reason };
    // A change of decision sends back the ETag of the one it replaces (409 if another came first).
    const headers = state.decision?.etag ? { "If-Match": state.decision.etag } : {};
    state.decision = await api(`/v1/diagnoses/${encodeURIComponent(state.result.diagnosis_id)}/decision`, { method: "POST", body, headers });
    renderDecisionConfirmation();
    renderPrintSummary();
    status.focus();
  } catch (error) {
    renderDecisionConfirmation();
    if (error instanceof ApiError && error.status === 401) {
      sessionExpired();
      return;
    }
    if (error instanceof ApiError && error.status === 422) {
      const detail = error.body?.detail;
      const issues = Array.isArray(detail) ? detail : [];
      state.decisionErrors = issues.length
        ? issues.map((issue) =>
            (issue.loc ?? []).includes("reason")
              ? { field: "decision-reason", key: "decision.err_reason" }
              : { field: "decision-choice", key: "decision.err_choice" },
          )
        : [{ field: "decision-choice", key: "decision.err_choice" }];
    } else if (error instanceof ApiError && error.status === 409) {
      state.decisionErrors = [{ field: "decision-choice", key: "decision.err_conflict" }];
    } else {
      const message = failureMessage(error);
      state.decisionErrors = [{ field: "decision-choice", ...message }];
    }
    renderDecisionErrors();
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------- printable summary
function renderPrintSummary() {
  const root = $("#print-summary");
  const result = state.result;
  if (!result || !state.catalogue) {
    root.replaceChildren();
    return;
  }
  const ctx = { h, t, tNodes, bdi, ltr, format, label, decisionWhat, projectName, colon };
  const parts = buildPrintout(ctx, {
    result,
    decision: state.decision,
    profile: state.profile,
    receivedAt: state.receivedAt,
    catalogue: state.catalogue,
  });
  root.replaceChildren(...parts.flat().filter(Boolean));
}

// ---------------------------------------------------------------------------- start
function start() {
  let lang = "fr";
  try {
    lang = localStorage.getItem(LANG_STORAGE) || "fr";
  } catch {
    lang = "fr";
  }
  for (const button of $$("[data-lang]")) button.addEventListener("click", () => applyLanguage(button.dataset.lang));
  $("#signin-form").addEventListener("submit", signIn);
  $("#signout").addEventListener("click", signOut);
  $("#diagnosis-form").addEventListener("submit", submitDiagnosis);
  $("#decision-form").addEventListener("submit", submitDecision);
  $("#region_id").addEventListener("change", onRegionChange);
  $("#province").addEventListener("change", onProvinceChange);
  $("#trade-filter").addEventListener("input", filterTrades);
  $("#add-experience").addEventListener("click", () => addExperienceRow(true));
  $("#budget_mad").addEventListener("input", () => renderUnderstood($("#budget_mad")));
  $("#other-type").addEventListener("change", () => {
    const other = $("#choice-other");
    other.checked = true;
    onChoiceChange();
  });
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.name === "choice") onChoiceChange();
  });
  $("#print-button").addEventListener("click", () => {
    renderPrintSummary();
    window.print();
  });
  follow = setupFollow({ h, t, api, ApiError, format, label, projectName, decisionWhat, state, onExpired: sessionExpired });
  applyLanguage(lang);

  const key = storedKey();
  if (!key) {
    showSignin(null);
    return;
  }
  loadCatalogue(key)
    .then(() => {
      showApp();
      applyLanguage(state.lang);
    })
    .catch((error) => {
      if (error instanceof ApiError && error.status === 401) sessionExpired();
      else {
        showSignin(null);
        setMessage(failureMessage(error));
      }
    });
}

start();
