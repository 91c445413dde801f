export { saveTensors, loadTensors, readMetadata, INVALID_SAFETENSORS } from './safetensors';
export { NOT_A_FILE } from './files';
export type { LoadedTensors } from './safetensors';
export { save, load, optimizerPath } from './checkpoint';
export type { SaveOptions, LoadOptions } from './checkpoint';
export { loadPyTorch, savePyTorch, CheckpointMismatchError } from './pytorch';
export type { LoadPyTorchOptions, SavePyTorchOptions, DtTransform } from './pytorch';
export { CheckpointError } from './torch_file';
export { UnpicklingError } from './pickle';
