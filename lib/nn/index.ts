export { Module } from './module';
export type { ParameterGroup, ParameterInfo } from './module';
