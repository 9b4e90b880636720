/** What the router shows: a view owns its part of the page until dispose() (fetches, streams, charts). */
export interface View {
  dispose(): void;
}
