// Enrich a few leads from code, against the local sandbox (no key, no network, no credits spent).
// Run: node examples/enrich-leads.mjs   (in your own project, import from "fluence-enrich" the same way)
import { createClient, enrich, startSandbox } from "fluence-enrich";

const sandbox = await startSandbox({ port: 0 });
// For the real API: createClient({ baseUrl: DEFAULT_BASE_URL, apiKey: process.env.FLUENCE_API_KEY })
const client = createClient({ baseUrl: sandbox.url, apiKey: sandbox.keys.enterprise });

// Any iterable or async iterable works: an array, a database cursor, a queue consumer.
const leads = [
  { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Natura &Co", crm_id: 101 },
  { primeiro_nome: "João", ultimo_nome: "Silva", empresa: "Itaú Unibanco", crm_id: 102 },
  { primeiro_nome: "Fulano", ultimo_nome: "de Tal", empresa: "fantasma", crm_id: 103 },
];

try {
  // storePath: null keeps this demo from touching your real store of paid results.
  for await (const outcome of enrich(leads, { client, storePath: null })) {
    if (outcome.status === "enriched") {
      console.log(`${outcome.person.crm_id} enriched: ${outcome.analise.cargo ?? "?"}`);
    } else {
      console.log(`${outcome.person.crm_id} ${outcome.status}: ${outcome.code} ${outcome.message}`);
    }
  }
} finally {
  await client.close();
  await sandbox.close();
}
