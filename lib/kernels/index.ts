export { sgconv } from './sgconv';
