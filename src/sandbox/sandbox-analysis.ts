import { createHash } from "node:crypto";
import type { Analise, ProfileInput } from "../api/types.js";
import { foldValue } from "../text/fold.js";
import { mulberry32 } from "./sandbox-faults.js";

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

const OBJECOES = [
  "Orçamento já comprometido neste trimestre",
  "Receio de uma implantação demorada",
  "Fornecedor atual com contrato vigente",
  "Dúvidas sobre a segurança das informações",
  "Equipe sem tempo para treinamento",
  "Necessidade de aprovação da matriz",
];

const DISC = ["Dominante", "Influente", "Estável", "Analítico"];
const TRACOS = [
  "Pragmático",
  "Curioso",
  "Orientado a metas",
  "Cauteloso",
  "Colaborativo",
  "Direto",
  "Detalhista",
];
const ESTILOS = [
  "Prefere mensagens curtas, com números e próximos passos claros.",
  "Valoriza contexto e histórias de clientes parecidos.",
  "Responde melhor a conversas presenciais e relacionamento.",
  "Quer dados e comparativos antes de qualquer reunião.",
];
const MOTIVADORES = [
  "Reconhecimento",
  "Autonomia",
  "Segurança",
  "Impacto no negócio",
  "Aprendizado",
  "Eficiência",
];

type Random = () => number;

function pickOne<T>(list: readonly T[], random: Random): T {
  return list[Math.floor(random() * list.length)] as T;
}

/** Two to four distinct items, order drawn too. */
function pickSome(list: readonly string[], random: Random, min = 2, max = 4): string[] {
  const count = min + Math.floor(random() * (max - min + 1));
  const pool = [...list];
  const chosen: string[] = [];
  while (chosen.length < count && pool.length > 0) {
    chosen.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as string);
  }
  return chosen;
}

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
 * (senioridade, area, resumo, manual_comprador.objecoes) so clients prove they keep unknown fields;
 * `complete` adds the personality block of POST /crm.
 */
export function buildAnalise(profile: ProfileInput, options: { complete?: boolean } = {}): Analise {
  const random = mulberry32(seedFor(profile));
  const role = pickOne(ROLES, random);
  const name = `${display(profile.primeiro_nome)} ${display(profile.ultimo_nome)}`;
  const dores = pickSome(DORES, random);
  const analise: Analise = {
    cargo: role.cargo,
    tipo_stakeholder: role.tipo_stakeholder,
    senioridade: role.senioridade,
    area: role.area,
    resumo: `${name} atua como ${role.cargo} na ${display(profile.empresa)}, com foco em ${dores[0]?.toLocaleLowerCase("pt-BR")}.`,
    manual_comprador: {
      dores,
      ganhos_procurados: pickSome(GANHOS, random),
      objecoes: pickSome(OBJECOES, random, 1, 3),
    },
    linguagem_impacto: pickSome(LINGUAGEM, random),
  };
  if (options.complete) {
    analise.personalidade = {
      perfil_disc: pickOne(DISC, random),
      tracos: pickSome(TRACOS, random, 2, 3),
      estilo_comunicacao: pickOne(ESTILOS, random),
      motivadores: pickSome(MOTIVADORES, random, 2, 3),
    };
  }
  return analise;
}

/**
 * A successful analysis full of spreadsheet-formula and control-character bait, for CSV-injection tests.
 * With "fullwidth" in contexto_adicional every trigger uses its full-width form (＝ ＋ － ＠), which some
 * spreadsheet programs also treat as the start of a formula.
 */
export function buildHostileAnalise(profile: ProfileInput, options: { complete?: boolean } = {}): Analise {
  const base = buildAnalise(profile, options);
  const manual = base.manual_comprador ?? {};
  const wide = (profile.contexto_adicional ?? "").toLowerCase().includes("fullwidth");
  const [eq, plus, minus, at] = wide ? ["＝", "＋", "－", "＠"] : ["=", "+", "-", "@"];
  return {
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
}
