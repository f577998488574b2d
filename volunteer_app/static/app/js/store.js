// What the phone keeps, in IndexedDB (through idb): tokens and settings (kv), the day's
// routes (routes), and the actions waiting to be sent (queue, in the order they happened).
import { openDB, deleteDB } from "../vendor/idb/idb.js";

const NAME = "kniga-app";
let dbPromise = null;

export function db() {
  if (!dbPromise) {
    dbPromise = openDB(NAME, 1, {
      upgrade(database) {
        database.createObjectStore("kv");
        database.createObjectStore("routes", { keyPath: "id" });
        database.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        database.createObjectStore("drafts", { keyPath: "stop" });
      },
    });
  }
  return dbPromise;
}

export async function get(key) { return (await db()).get("kv", key); }
export async function set(key, value) { return (await db()).put("kv", value, key); }
export async function del(key) { return (await db()).delete("kv", key); }

export async function routes() { return (await db()).getAll("routes"); }
export async function route(id) { return (await db()).get("routes", id); }
export async function putRoute(value) { return (await db()).put("routes", value); }
export async function deleteRoute(id) { return (await db()).delete("routes", id); }

export async function queue() { return (await db()).getAll("queue"); }
export async function enqueue(item) { return (await db()).add("queue", item); }
export async function unqueue(seq) { return (await db()).delete("queue", seq); }

export async function draft(stop) { return (await db()).get("drafts", stop); }
export async function putDraft(value) { return (await db()).put("drafts", value); }
export async function deleteDraft(stop) { return (await db()).delete("drafts", stop); }

// Sign-out: everything, the database itself included, keeping only the chosen language.
export async function wipe() {
  if (dbPromise) {
    (await dbPromise).close();
    dbPromise = null;
  }
  await deleteDB(NAME);
}
