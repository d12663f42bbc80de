export { Component, Dependency, ServiceDelivery } from './component.entity';
export type { Audience, ComponentKind, DependencyKind } from './component.entity';
export { componentIdByExternalRef, findComponent, listComponentsOf } from './component.service';
export { deliverService, writeDependency } from './component.mutations';
