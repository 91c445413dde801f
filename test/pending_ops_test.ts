// TEMPORARY: stand-in for lc.linear until it lands on main.
export { linear } from '../lib/nn/pending_ops';
