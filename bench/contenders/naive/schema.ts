/** Only what W1 asks for, with the same names and types as ketenbeeld's contract. */
export const NAIVE_SCHEMA = /* GraphQL */ `
  enum ComponentStatus { OPERATIONAL DEGRADED_PERFORMANCE PARTIAL_OUTAGE MAJOR_OUTAGE UNDER_MAINTENANCE UNKNOWN }
  enum StatusCause { PRECAUTIONARY_SHUTDOWN FAILURE MAINTENANCE COMPROMISE DEPENDENCY }
  type Component { id: ID! name: String! }
  type Service { id: ID! name: String! }
  type ServiceAvailability {
    service: Service!
    status: ComponentStatus!
    cause: StatusCause
    since: String
    rootCause: [Component!]!
  }
  type Municipality { id: ID! name: String! cbsCode: String! services: [ServiceAvailability!]! }
  type Query { municipality(cbsCode: String!): Municipality }
`;
