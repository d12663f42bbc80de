export { Component, Dependency, ServiceDelivery } from './component.entity';
export type { Audience, ComponentKind, DependencyKind } from './component.entity';
export { componentResolvers, componentTypeName } from './component.resolvers';
export { findComponent, listComponentsOf } from './component.service';
