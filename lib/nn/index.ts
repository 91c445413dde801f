export { Module } from './module';
export type { ParameterGroup, ParameterInfo } from './module';
export { S4 } from './s4';
export type { S4Options } from './s4';
export { SGConv } from './sgconv';
export type { SGConvOptions } from './sgconv';
export { MultiresConv } from './multires';
export type { MultiresConvLayerOptions } from './multires';
