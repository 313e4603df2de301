/** The personality block and buyer playbooks of the complete analysis (POST /crm and POST /crm_batch). */
import { pickOne, pickSome, type Random } from "./sandbox-pick.js";

/** Integers 0-100 per Big Five (OCEAN) trait, with pt-BR names. */
export interface BigFive {
  abertura: number;
  conscienciosidade: number;
  extroversao: number;
  amabilidade: number;
  neuroticismo: number;
}

/**
 * Field names are the sandbox's guess: the vendor publishes only that the complete analysis adds Big Five
 * scores, an MBTI type and buyer playbooks. Scalars and lists of strings only, at most two levels deep, so
 * a generic flattener gives columns such as perfil_personalidade_big_five_abertura.
 */
export interface PerfilPersonalidade {
  big_five: BigFive;
  mbti: string;
  disc: string;
  tracos: string[];
  estilo_comunicacao: string;
  motivadores: string[];
}

export interface Playbooks {
  abordagem: string;
  gatilhos: string[];
  objecoes_e_respostas: string[];
}

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
const ABORDAGENS = [
  "Abra com um número de impacto do setor e proponha um diagnóstico de 30 minutos.",
  "Comece por um caso de cliente parecido e peça uma apresentação à equipe técnica.",
  "Envie um resumo de uma página antes da reunião e deixe espaço para perguntas.",
  "Proponha um piloto pequeno, com critério de sucesso definido por escrito.",
];
const GATILHOS = [
  "Casos de sucesso no mesmo setor",
  "Retorno sobre investimento em números",
  "Prova social de pares reconhecidos",
  "Prazo regulatório se aproximando",
  "Acesso antecipado a novidades",
  "Redução de risco operacional",
];

/** Objections a buyer may raise, each with the reply the playbook suggests for it. */
const RESPOSTAS: Record<string, string> = {
  "Orçamento já comprometido neste trimestre": "ofereça começar no próximo ciclo com um piloto sem custo",
  "Receio de uma implantação demorada": "mostre o cronograma de implantação em semanas, não meses",
  "Fornecedor atual com contrato vigente": "proponha rodar em paralelo até o fim do contrato",
  "Dúvidas sobre a segurança das informações": "apresente as certificações e o acordo de tratamento de dados",
  "Equipe sem tempo para treinamento": "destaque o treinamento guiado de uma hora e o suporte dedicado",
  "Necessidade de aprovação da matriz": "entregue um material pronto para a apresentação à matriz",
};

/** The objections of manual_comprador.objecoes; the playbook answers the ones a person raises. */
export const OBJECOES: readonly string[] = Object.keys(RESPOSTAS);

const score = (random: Random) => 10 + Math.floor(random() * 81);

/** Draws the block from `random`; the MBTI letters follow the Big Five scores so the two agree. */
export function buildPersonalidade(random: Random): PerfilPersonalidade {
  const big_five: BigFive = {
    abertura: score(random),
    conscienciosidade: score(random),
    extroversao: score(random),
    amabilidade: score(random),
    neuroticismo: score(random),
  };
  const mbti = [
    big_five.extroversao >= 50 ? "E" : "I",
    big_five.abertura >= 50 ? "N" : "S",
    big_five.amabilidade >= 50 ? "F" : "T",
    big_five.conscienciosidade >= 50 ? "J" : "P",
  ].join("");
  return {
    big_five,
    mbti,
    disc: pickOne(DISC, random),
    tracos: pickSome(TRACOS, random, 2, 3),
    estilo_comunicacao: pickOne(ESTILOS, random),
    motivadores: pickSome(MOTIVADORES, random, 2, 3),
  };
}

export function buildPlaybooks(random: Random, objecoes: readonly string[]): Playbooks {
  return {
    abordagem: pickOne(ABORDAGENS, random),
    gatilhos: pickSome(GATILHOS, random, 2, 3),
    objecoes_e_respostas: objecoes.map(
      (objecao) => `${objecao}: ${RESPOSTAS[objecao] ?? "proponha um próximo passo pequeno"}`,
    ),
  };
}
