export { saveTensors, loadTensors } from './safetensors';
export type { LoadedTensors } from './safetensors';
export { save, load, optimizerPath } from './checkpoint';
export type { SaveOptions, LoadOptions } from './checkpoint';
