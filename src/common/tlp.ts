/** TLP 2.0 (FIRST). AMBER+STRICT is spelled AMBER_STRICT in GraphQL and in the database. */
export type TlpLabel = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';

export const TLP_LABELS: readonly TlpLabel[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];

/**
 * What the access layer needs to know about a labelled thing (an advisory, an incident, an incident
 * update) to decide who reads it. Each part is read only when the label needs it.
 */
export interface Labelled {
  tlp: TlpLabel;
  /** The publisher, declarer or author: always reads what it wrote. */
  authorId: string;
  /** RED: the organisations it is addressed to. */
  recipientIds: () => Promise<string[]>;
  /** AMBER, AMBER+STRICT: the operators of what it concerns (an incident's affected components, an advisory's exposed gateways). */
  concernedOperatorIds: () => Promise<string[]>;
  /** AMBER: what it concerns, for "whose picture contains an affected component". */
  concernedComponentIds: () => Promise<string[]>;
}
