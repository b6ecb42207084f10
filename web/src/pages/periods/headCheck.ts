// Whether the audit trail still holds the head a lock recorded: the chain
// verifies from the first entry, and the entry at the head's seq still has
// the head's hash. (It proves what the database says of itself; a head kept
// outside it proves more: see the README's Assurance.)

export interface Head {
  seq: number;
  hash: string;
}

/** What `GET /audit/verify` answers, as far as the check reads it. */
export interface ChainCheck {
  valid: boolean;
  head?: Head | null;
  first_bad?: { seq: number; problem: string } | null;
}

export interface HeadCheck {
  intact: boolean;
  message: string;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** The verdict on `head`, from the chain's verification and the trail's
 * entry at `head.seq` (absent: none there). */
export function checkHead(head: Head, chain: ChainCheck, entry: Head | undefined): HeadCheck {
  if (!chain.valid) {
    const bad = chain.first_bad;
    return { intact: false, message: `The trail does not verify${bad ? `: entry #${bad.seq}, ${bad.problem}` : ''}.` };
  }
  if (!entry || entry.seq !== head.seq) {
    return { intact: false, message: `Entry #${head.seq}, recorded at the lock, is not in the trail.` };
  }
  if (entry.hash !== head.hash) {
    return {
      intact: false,
      message: `Entry #${head.seq} has changed: its hash is ${short(entry.hash)}, not ${short(head.hash)} as recorded at the lock.`,
    };
  }
  return {
    intact: true,
    message: `Intact: entry #${head.seq} still has the hash recorded at the lock, and the chain verifies from the first entry to #${chain.head?.seq ?? head.seq}.`,
  };
}
