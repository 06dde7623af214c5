// The try-it page: asks the API for the JSON answer, then for the same image drawn
// (?format=jpeg), and shows both. Errors come back in one JSON shape, shown in words.
"use strict";

const $ = (id) => document.getElementById(id);
let latest = 0;  // only the newest request may paint the page
let imageUrl = null;

function describeError(body, status) {
  const error = body && body.error;
  if (error && error.message) return `${error.message} (${error.http_status || status})`;
  return `the service answered HTTP ${status}`;
}

async function bodyOf(response) {
  try {
    return await response.json();
  } catch {
    return null;  // not JSON (a proxy's page, say): the status describes it
  }
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = false;
  $("result").hidden = true;
}

function valueText(value) {
  if (value === null) return "null";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

// A plate's heading: its text, and the GOST type (the table's name) it fits, with a
// two-line plate's text as it reads, top line first.
function plateTitle(plate, index) {
  const kind = plate.format ?? "no GOST format";
  const lines = plate.lines === 2 ? ", two lines, top line first" : "";
  return `${index + 1}. ${plate.text} (${kind}${lines})`;
}

function plateCard(plate, index) {
  const card = document.createElement("div");
  card.className = "plate";
  const title = document.createElement("h2");
  title.textContent = plateTitle(plate, index);
  const fields = document.createElement("dl");
  for (const [name, value] of Object.entries(plate)) {
    const term = document.createElement("dt");
    term.textContent = name;
    const detail = document.createElement("dd");
    detail.textContent = valueText(value);
    fields.append(term, detail);
  }
  card.append(title, fields);
  return card;
}

function showResult(body) {
  $("error").hidden = true;
  $("result").hidden = false;
  const text = $("plate-text");
  text.textContent = body.plate ?? "no plate found";
  text.classList.toggle("none", body.plate === null);
  $("plates").replaceChildren(...body.plates.map(plateCard));
  $("raw-json").textContent = JSON.stringify(body, null, 2);
  $("annotated").removeAttribute("src");
}

// Upstream crops are about 260x56: shown twice as large, they can be read at a glance.
const SMALL_IMAGE_WIDTH = 480;

function showImage(blob) {
  if (imageUrl) URL.revokeObjectURL(imageUrl);
  imageUrl = URL.createObjectURL(blob);
  const image = $("annotated");
  image.onload = () => {
    image.style.width = image.naturalWidth < SMALL_IMAGE_WIDTH
      ? `${2 * image.naturalWidth}px` : "";
  };
  image.src = imageUrl;
}

// ``ask(format)`` sends the request and resolves to the fetch Response.
async function read(ask, what) {
  const mine = ++latest;
  $("status").textContent = `Reading ${what}…`;
  try {
    const answer = await ask("json");
    const body = await bodyOf(answer);
    if (mine !== latest) return;
    if (!answer.ok) {
      showError(describeError(body, answer.status));
      return;
    }
    showResult(body);
    const image = await ask("jpeg");
    const blob = image.ok ? await image.blob() : null;
    if (mine !== latest) return;
    if (blob) showImage(blob);
    else showError(describeError(await bodyOf(image), image.status));
  } catch (failure) {
    if (mine === latest) showError(`the service did not answer (${failure.message})`);
  } finally {
    if (mine === latest) $("status").textContent = "";
  }
}

function query(format) {
  return new URLSearchParams({mode: $("mode").value, format}).toString();
}

$("by-id").addEventListener("submit", (event) => {
  event.preventDefault();
  const id = $("image-id").value.trim();
  if (!id) {
    showError("type an image ID first");
    return;
  }
  read((format) => fetch(`/plate/${encodeURIComponent(id)}?${query(format)}`), `image ${id}`);
});

function readFile(file) {
  // The service sniffs the bytes; the type only has to be one it accepts.
  const type = file.type.startsWith("image/") ? file.type : "application/octet-stream";
  read((format) => fetch(`/recognize?${query(format)}`,
                         {method: "POST", headers: {"Content-Type": type}, body: file}),
       file.name);
}

$("file").addEventListener("change", () => {
  if ($("file").files.length) readFile($("file").files[0]);
  $("file").value = "";  // choosing the same file again reads it again
});

const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files.length) readFile(event.dataTransfer.files[0]);
});
