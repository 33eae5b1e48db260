// A krest transform plugin in JavaScript: every produced record gets the header
// `x-javascript: yes`; records read by consumers pass unchanged.
const YES = new TextEncoder().encode("yes");

export const transformer = {
  apply(direction, records) {
    if (direction === "consume") {
      return records.map(() => ({ tag: "keep" }));
    }
    return records.map((record) => ({
      tag: "replace",
      val: { ...record, headers: [...record.headers, { name: "x-javascript", value: YES }] },
    }));
  },
};
