// Pulled records kept as the server sent them, by id, with their type (db.js `records`): what
// attendance, its lines and reports need on the phone. A tombstone deletes.
export const stores = ['records'];

// The person may now see more or less (pull.js): the server sends again what they may see.
export async function reset(tx) {
  tx.clear('records');
}

export async function apply(tx, items) {
  for (const item of items) {
    if (item.deleted) tx.delete('records', item.id);
    else tx.put('records', item);
  }
}
