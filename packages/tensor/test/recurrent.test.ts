import { describe, expect, it } from "vitest";
import { Generator, gradcheck, randn, recurrentLayer, type RecurrentMode } from "@minigrad/tensor";

const f64 = { dtype: "float64" as const };

describe("recurrentLayer", () => {
  for (const mode of ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"] as RecurrentMode[]) {
    for (const reverse of [false, true]) {
      it(`gradcheck (float64): ${mode}${reverse ? ", reverse" : ""}`, () => {
        const gen = new Generator(11);
        const G = mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
        const T = 3, B = 2, H = 3;
        const r = (s: number[]) => randn(s, { ...f64, generator: gen }).mul(0.7).requiresGrad_();
        const inputs = [r([T, B, G * H]), r([G * H, H]), r([G * H]), r([B, H]), ...(mode === "LSTM" ? [r([B, H])] : [])];
        const weights = randn(mode === "LSTM" ? [T + 1, B, H] : [T, B, H], { ...f64, generator: gen });
        expect(gradcheck((x, w, b, h0, c0) =>
          recurrentLayer(mode, x, w, b, h0, c0 ?? null, reverse).mul(weights).sum(), inputs)).toBe(true);
      });
    }
  }
});
