// Shape checks shared by cauchy and vandermonde, whose complex inputs hold N modes per row:
// v: [...lead, N, 2] and a second input w: [...suffix of lead, N, 2], broadcast over the
// leading dimensions it lacks (row r of v uses row r % Rw of w).
import { checkNonEmpty, fmtShape, rangeError } from '../validate';
import { numelOf, Tensor } from '../tensor';

interface ModeRows {
  /** v's leading dimensions (the output's, before L). */
  lead: number[];
  /** Rows of v and of w: products of their leading dimensions. */
  R: number;
  Rw: number;
  N: number;
}

function checkComplexModes(t: Tensor, name: string): void {
  const s = t.shape;
  if (s.length < 2 || s[s.length - 1] !== 2) throw rangeError(name, 'shape [...,N,2] (complex modes, last dimension 2)', fmtShape(s));
  checkNonEmpty(t, name);
}

/** Validates v and w (named `vName`, `wName`) as above. Throws RangeError naming the argument. */
export function checkModeRows(v: Tensor, vName: string, w: Tensor, wName: string): ModeRows {
  checkComplexModes(v, vName);
  checkComplexModes(w, wName);
  const N = v.shape[v.shape.length - 2];
  if (w.shape[w.shape.length - 2] !== N) {
    throw rangeError(wName, `N = ${N} modes (dimension -2, as in ${vName} ${fmtShape(v.shape)})`, fmtShape(w.shape));
  }
  const lead = v.shape.slice(0, -2);
  const wLead = w.shape.slice(0, -2);
  const suffix = lead.slice(lead.length - wLead.length);
  if (wLead.length > lead.length || wLead.some((d, i) => d !== suffix[i])) {
    throw rangeError(wName, `leading dimensions that are a suffix of ${vName}'s ${fmtShape(lead)} (broadcast over the rest)`, `shape ${fmtShape(w.shape)}`);
  }
  return { lead, R: numelOf(lead), Rw: numelOf(wLead), N };
}
