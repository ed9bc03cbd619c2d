/** Every optimizer of @minigrad/optim, as the race and the training panel offer them. */
import type { Tensor } from "@minigrad/tensor";
import {
  ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, LBFGS, NAdam, RAdam, RMSprop, Rprop, SGD, type Optimizer,
} from "@minigrad/optim";

export type AnyOptimizer = Optimizer<object>;

export interface OptimizerChoice {
  /** shown, and the key */
  name: string;
  /** the options besides lr, as code */
  options: string;
  /** lr for the race, per loss (Rosenbrock, Beale, saddle), and for training */
  lr: { Rosenbrock: number; Beale: number; saddle: number; training: number };
  make(params: Tensor[], lr: number): AnyOptimizer;
  /** on in the race by default */
  race: boolean;
  /** LBFGS evaluates the loss several times per step */
  closure?: true;
}

const cast = (o: unknown) => o as AnyOptimizer;

export const OPTIMIZERS: OptimizerChoice[] = [
  { name: "SGD", options: "{}", lr: { Rosenbrock: 1e-3, Beale: 1e-2, saddle: 0.05, training: 0.3 }, race: false, make: (p, lr) => cast(new SGD(p, { lr })) },
  {
    name: "SGD momentum", options: "{ momentum: 0.9 }", lr: { Rosenbrock: 2e-4, Beale: 1e-3, saddle: 0.01, training: 0.1 }, race: true,
    make: (p, lr) => cast(new SGD(p, { lr, momentum: 0.9 })),
  },
  {
    name: "SGD Nesterov", options: "{ momentum: 0.9, nesterov: true }", lr: { Rosenbrock: 2e-4, Beale: 1e-3, saddle: 0.01, training: 0.1 }, race: false,
    make: (p, lr) => cast(new SGD(p, { lr, momentum: 0.9, nesterov: true })),
  },
  { name: "RMSprop", options: "{ alpha: 0.99, eps: 1e-8 }", lr: { Rosenbrock: 0.01, Beale: 0.01, saddle: 0.01, training: 0.01 }, race: true, make: (p, lr) => cast(new RMSprop(p, { lr })) },
  { name: "Adam", options: "{ betas: [0.9, 0.999] }", lr: { Rosenbrock: 0.05, Beale: 0.05, saddle: 0.05, training: 0.02 }, race: true, make: (p, lr) => cast(new Adam(p, { lr })) },
  { name: "AdamW", options: "{ weightDecay: 0.01 }", lr: { Rosenbrock: 0.05, Beale: 0.05, saddle: 0.05, training: 0.02 }, race: false, make: (p, lr) => cast(new AdamW(p, { lr })) },
  { name: "Adagrad", options: "{}", lr: { Rosenbrock: 0.5, Beale: 0.5, saddle: 0.5, training: 0.1 }, race: true, make: (p, lr) => cast(new Adagrad(p, { lr })) },
  { name: "Adadelta", options: "{ rho: 0.9 }", lr: { Rosenbrock: 10, Beale: 10, saddle: 10, training: 1 }, race: false, make: (p, lr) => cast(new Adadelta(p, { lr })) },
  { name: "Adamax", options: "{}", lr: { Rosenbrock: 0.1, Beale: 0.1, saddle: 0.1, training: 0.02 }, race: false, make: (p, lr) => cast(new Adamax(p, { lr })) },
  { name: "NAdam", options: "{}", lr: { Rosenbrock: 0.05, Beale: 0.05, saddle: 0.05, training: 0.02 }, race: false, make: (p, lr) => cast(new NAdam(p, { lr })) },
  { name: "RAdam", options: "{}", lr: { Rosenbrock: 0.1, Beale: 0.1, saddle: 0.1, training: 0.02 }, race: false, make: (p, lr) => cast(new RAdam(p, { lr })) },
  { name: "Rprop", options: "{ etas: [0.5, 1.2] }", lr: { Rosenbrock: 0.01, Beale: 0.01, saddle: 0.01, training: 0.01 }, race: false, make: (p, lr) => cast(new Rprop(p, { lr })) },
  { name: "ASGD", options: "{}", lr: { Rosenbrock: 1e-3, Beale: 1e-2, saddle: 0.05, training: 0.3 }, race: false, make: (p, lr) => cast(new ASGD(p, { lr })) },
  {
    name: "LBFGS", options: "{ lineSearchFn: \"strong_wolfe\", maxIter: 1 }", lr: { Rosenbrock: 1, Beale: 1, saddle: 1, training: 1 }, race: false, closure: true,
    make: (p, lr) => cast(new LBFGS(p, { lr, maxIter: 1, lineSearchFn: "strong_wolfe" })),
  },
];

export function optimizerChoice(name: string): OptimizerChoice {
  const o = OPTIMIZERS.find((c) => c.name === name);
  if (o === undefined) throw new Error(`no optimizer ${name}`);
  return o;
}
