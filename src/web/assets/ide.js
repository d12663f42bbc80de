// Starts GraphiQL (from this server's own copy of the npm package) against /graphql. The schema
// comes from this server too, so the IDE works where introspection is off and without internet.
(function () {
  'use strict';
  var config = JSON.parse(document.getElementById('ide-config').textContent);
  var root = document.getElementById('graphiql');
  var subscriptionUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + config.endpoint;
  fetch(config.schemaUrl, { headers: { accept: 'application/json' } })
    .then(function (response) {
      if (!response.ok) throw new Error('HTTP ' + response.status);
      return response.json();
    })
    .then(function (introspection) {
      root.textContent = '';
      var fetcher = GraphiQL.createFetcher({ url: config.endpoint, subscriptionUrl: subscriptionUrl });
      ReactDOM.createRoot(root).render(React.createElement(GraphiQL, {
        fetcher: fetcher,
        schema: introspection,
        defaultQuery: config.defaultQuery,
        defaultEditorToolsVisibility: true,
      }));
    })
    .catch(function (error) {
      root.textContent = 'GraphiQL could not load the schema: ' + error.message;
    });
})();
