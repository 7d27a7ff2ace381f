// Which command the words of a command line name, found before oclif does. With the topic
// separator ' ', oclif's own search (collateSpacedCmdIDFromArgs) glues a bare word after a command
// that takes no argument onto the command's name (`schema extra` -> "command schema:extra not
// found") and an unknown command's arguments onto the unknown name ("valdate x is not a gridops
// command"). The name found here is handed to oclif already joined with ':', as oclif takes it.

/**
 * The command the leading words name, the longest prefix of them that is one of `ids` (oclif's
 * `lab:up`), and the words after it; or, where no prefix is a command, the unknown command: the
 * longest prefix that is a topic, with the one word after it. Undefined when the first word is a
 * flag, or the words name a topic alone (oclif then shows the topic's help).
 * @param {readonly string[]} words the command line after the binary
 * @param {readonly string[]} ids the command ids
 * @returns {{ known: boolean, id: string, rest: string[] } | undefined}
 */
export function commandWords(words, ids) {
  const commands = new Set(ids);
  const topics = new Set(ids.flatMap((id) => id.split(':').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join(':'))));
  let command = 0;
  let topic = 0;
  for (let n = 1; n <= words.length && !words[n - 1].startsWith('-'); n++) {
    const id = words.slice(0, n).join(':');
    if (commands.has(id)) command = n;
    if (topics.has(id)) topic = n;
    if (!commands.has(id) && !topics.has(id)) break;
  }
  if (command > 0) return { known: true, id: words.slice(0, command).join(':'), rest: words.slice(command) };
  const unknown = words[topic];
  if (unknown === undefined || unknown.startsWith('-')) return undefined;
  return { known: false, id: words.slice(0, topic + 1).join(':'), rest: words.slice(topic + 1) };
}
