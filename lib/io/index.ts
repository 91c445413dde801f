export { saveTensors, loadTensors, readMetadata, INVALID_SAFETENSORS } from './safetensors';
export { NOT_A_FILE } from './files';
export type { LoadedTensors } from './safetensors';
export { save, load, optimizerPath, CHECKPOINT_MISMATCH, INVALID_CHECKPOINT } from './checkpoint';
export type { SaveOptions, LoadOptions } from './checkpoint';
