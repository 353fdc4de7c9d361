// Numbers as counsellors type them, in French, Arabic or English.
//
// readNumber("45 000", "money") -> {value: 45000}; "45.000" and "45,000" are thousands
// for money (no budget is 45 dirhams and a fraction); "45,000.50" and "45.000,50" take
// the last mark as the decimal one; "1,5" and "1.5" are 1.5 (a single mark followed by
// one or two digits, or any single mark for years). Arabic-Indic digits and the Arabic
// decimal and thousands signs (٫ ٬) are read too. Anything else is refused:
// {error: "unreadable"} or {error: "grouping"} (thousands not in groups of three).

const DIGITS = "٠١٢٣٤٥٦٧٨٩";
const PERSIAN = "۰۱۲۳۴۵۶۷۸۹";

function westernDigits(text) {
  return text.replace(/[٠-٩۰-۹]/g, (d) => String(Math.max(DIGITS.indexOf(d), PERSIAN.indexOf(d))));
}

const GROUPED = (sep) => new RegExp(`^\\d{1,3}(?:\\${sep}\\d{3})+$`);

export function readNumber(raw, kind = "money") {
  let text = westernDigits(String(raw ?? "").trim())
    .replace(/\u066b/g, ".") // Arabic decimal separator
    .replace(/\u066c/g, " "); // Arabic thousands separator
  if (text === "") return { empty: true };
  let sign = "";
  if (/^[-−]/.test(text)) {
    sign = "-";
    text = text.slice(1).trim();
  }
  // spaces (and no-break spaces, apostrophes) only ever group thousands
  if (/[\s\u00a0\u202f']/.test(text)) {
    const [whole, ...rest] = text.split(/([.,]\d+)$/);
    if (!GROUPED(" ").test(whole.replace(/[\s\u00a0\u202f']+/g, " "))) return { error: "grouping" };
    text = whole.replace(/[\s\u00a0\u202f']+/g, "") + (rest[0] ?? "");
  }
  const dots = (text.match(/\./g) ?? []).length;
  const commas = (text.match(/,/g) ?? []).length;
  let plain;
  if (dots && commas) {
    const decimal = text.lastIndexOf(".") > text.lastIndexOf(",") ? "." : ",";
    const group = decimal === "." ? "," : ".";
    const [whole, fraction] = text.split(decimal);
    if (text.split(decimal).length !== 2 || !GROUPED(group).test(whole) || !/^\d+$/.test(fraction)) {
      return { error: "grouping" };
    }
    plain = `${whole.split(group).join("")}.${fraction}`;
  } else if (dots + commas > 1) {
    const group = dots ? "." : ",";
    if (!GROUPED(group).test(text)) return { error: "grouping" };
    plain = text.split(group).join("");
  } else if (dots + commas === 1) {
    const [whole, fraction] = text.split(/[.,]/);
    const thousands = kind === "money" && fraction.length === 3 && /^\d{1,3}$/.test(whole);
    plain = thousands ? whole + fraction : `${whole}.${fraction}`;
  } else {
    plain = text;
  }
  if (!/^\d+(\.\d+)?$/.test(plain) || !/\d/.test(plain)) return { error: "unreadable" };
  return { value: Number(sign + plain) };
}
