namespace QuantReason.Analysis

open System

/// One reasoning chain as survival data: its length and the step of its first error (None = no step is wrong,
/// so the chain is censored after its last step). Only the first error is ever recorded.
type Chain =
    { Group: string
      NumSteps: int
      FirstError: int option
      ErrorType: string option }

/// The hazard of a first error at one step index: among the chains still at risk there (long enough to have the
/// step and no error before it), the share whose first error is at this step.
type StepHazard =
    { Step: int
      AtRisk: int
      Events: int
      /// Chains that end correctly at this step (their last step), leaving the risk set afterwards.
      Censored: int
      /// Events / AtRisk with a Wilson interval.
      Hazard: Estimate }

/// Kaplan–Meier survival just after step `Step`: the probability that steps 0..Step are all correct, with a
/// Greenwood band on the log(−log) scale (stays inside [0, 1]).
type SurvivalPoint =
    { Step: int
      Survival: Estimate }

type SurvivalCurve =
    { Group: string
      Chains: int
      Hazards: StepHazard list
      Survival: SurvivalPoint list }

/// Share of one error type among the first errors of chains that survived to step `FromStep`.
type ConditionalShare =
    { FromStep: int
      ErrorType: string
      Count: int
      Total: int
      Share: Estimate }

/// First-error-only counts against the counts projected if every error were recorded.
type ProjectedShare =
    { ErrorType: string
      FirstOnly: int
      FirstOnlyShare: float
      /// Expected count of errors of the type if every error were recorded (see Survival.allErrorsProjection).
      Projected: float
      ProjectedShare: float }

/// The survivor effect: per-step hazards, Kaplan–Meier curves, type shares conditional on survival, and the shift
/// of the type distribution if all errors were recorded rather than only the first.
module Survival =

    let level = 0.95

    /// Steps 0 .. the last step any chain has.
    let private horizon (chains: Chain list) =
        if chains.IsEmpty then 0 else chains |> List.map (fun c -> c.NumSteps) |> List.max

    let private atRisk (k: int) (c: Chain) =
        c.NumSteps > k && (match c.FirstError with Some e -> e >= k | None -> true)

    /// Hazard at every step index up to the longest chain (steps with nobody at risk are left out).
    let hazards (chains: Chain list) : StepHazard list =
        [ for k in 0 .. horizon chains - 1 do
              let risk = chains |> List.filter (atRisk k)
              let n = risk.Length
              if n > 0 then
                  let d = risk |> List.filter (fun c -> c.FirstError = Some k) |> List.length
                  let censored = risk |> List.filter (fun c -> c.FirstError.IsNone && c.NumSteps = k + 1) |> List.length
                  yield { Step = k; AtRisk = n; Events = d; Censored = censored; Hazard = Stats.wilson level d n } ]

    /// Kaplan–Meier S(k) = Π_{j ≤ k} (1 − d_j / n_j) with Greenwood's variance
    /// Var S = S² Σ d_j / (n_j (n_j − d_j)), banded on the log(−log S) scale.
    let kaplanMeier (hazards: StepHazard list) : SurvivalPoint list =
        let zz = Stats.z level
        hazards
        |> List.scan
            (fun (_, s, g) h ->
                let n, d = float h.AtRisk, float h.Events
                let s' = s * (1.0 - d / n)
                let g' = if h.AtRisk > h.Events then g + d / (n * (n - d)) else infinity
                Some h.Step, s', g')
            (None, 1.0, 0.0)
        |> List.choose (fun (step, s, g) ->
            step
            |> Option.map (fun k ->
                let lower, upper =
                    if s <= 0.0 then 0.0, 0.0
                    elif s >= 1.0 || g = 0.0 then s, s
                    else
                        let se = sqrt g / abs (log s)
                        s ** exp (zz * se), s ** exp (-zz * se)
                { Step = k; Survival = { Value = s; Lower = lower; Upper = upper; Level = level } }))

    let curve (group: string) (chains: Chain list) : SurvivalCurve =
        let h = hazards chains
        { Group = group; Chains = chains.Length; Hazards = h; Survival = kaplanMeier h }

    /// One curve per group, groups in first-appearance order.
    let curvesBy (chains: Chain list) : SurvivalCurve list =
        let groups = chains |> List.map (fun c -> c.Group) |> List.distinct
        groups |> List.map (fun g -> curve g (chains |> List.filter (fun c -> c.Group = g)))

    /// Counts of first-error positions (−1 for chains with no wrong step), sorted by position.
    let firstErrorCounts (chains: Chain list) : (int * int) list =
        chains |> List.countBy (fun c -> defaultArg c.FirstError -1) |> List.sortBy fst

    /// Share of each error type among first errors of chains that survived to step k (first error at step ≥ k).
    let conditionalShares (k: int) (chains: Chain list) : ConditionalShare list =
        let typed =
            chains
            |> List.filter (atRisk k)
            |> List.choose (fun c -> match c.FirstError, c.ErrorType with Some _, Some t -> Some t | _ -> None)
        let total = typed.Length
        typed
        |> List.countBy id
        |> List.sortBy (fun (t, _) -> Taxonomy.typeOrder t, t)
        |> List.map (fun (t, n) ->
            { FromStep = k; ErrorType = t; Count = n; Total = total; Share = Stats.wilson level n total |> Stats.scale 100.0 })

    /// The type distribution if every error were recorded, not only the first. A chain of length L has an error at
    /// step j with the hazard h_j whether or not an earlier error occurred (the model's assumption: an error does not
    /// change later steps' hazards nor their type mix), so the expected count of errors at step j is N_j h_j, N_j being
    /// every chain long enough to reach step j, split over types in the proportions observed among first errors at
    /// step j. Types that strike late are hidden most by the first-error-only record.
    let allErrorsProjection (chains: Chain list) : ProjectedShare list =
        let h = hazards chains
        let typedAt j =
            chains |> List.choose (fun c -> if c.FirstError = Some j then c.ErrorType else None)
        let projected =
            h
            |> List.collect (fun s ->
                let typed = typedAt s.Step
                if typed.IsEmpty then []
                else
                    let reach = chains |> List.filter (fun c -> c.NumSteps > s.Step) |> List.length
                    let expected = float reach * s.Hazard.Value
                    typed |> List.countBy id |> List.map (fun (t, n) -> t, expected * float n / float typed.Length))
            |> List.groupBy fst
            |> List.map (fun (t, xs) -> t, List.sumBy snd xs)
            |> Map.ofList
        let first = chains |> List.choose (fun c -> c.FirstError |> Option.bind (fun _ -> c.ErrorType)) |> List.countBy id |> Map.ofList
        let firstTotal = first |> Map.toList |> List.sumBy snd |> float
        let projTotal = projected |> Map.toList |> List.sumBy snd
        Set.union (first |> Map.keys |> Set.ofSeq) (projected |> Map.keys |> Set.ofSeq)
        |> Set.toList
        |> List.sortBy (fun t -> Taxonomy.typeOrder t, t)
        |> List.map (fun t ->
            let f = first |> Map.tryFind t |> Option.defaultValue 0
            let p = projected |> Map.tryFind t |> Option.defaultValue 0.0
            { ErrorType = t
              FirstOnly = f
              FirstOnlyShare = (if firstTotal > 0.0 then 100.0 * float f / firstTotal else nan)
              Projected = p
              ProjectedShare = (if projTotal > 0.0 then 100.0 * p / projTotal else nan) })

    /// Chains from labelled rows (rows without a label are left out), grouped by `group`.
    let chainsOfRows (group: Row -> string) (rows: Row list) : Chain list =
        rows
        |> List.choose (fun r ->
            r.Label
            |> Option.map (fun l ->
                { Group = group r
                  // an error in the final answer is an event at the chain's last position, after its steps
                  NumSteps = max l.NumSteps (l.FirstErrorStep |> Option.map ((+) 1) |> Option.defaultValue 0)
                  FirstError = l.FirstErrorStep
                  ErrorType = l.ErrorType |> Option.map Taxonomy.toV2 }))

    /// Synthetic chains with known per-step hazards (hazards.[k] at step k), lengths uniform in
    /// [minSteps, hazards.Length]; seeded. Used to test that the estimators recover what was put in.
    let simulate (seed: int) (count: int) (minSteps: int) (hazards: float[]) : Chain list =
        let rng = MathNet.Numerics.Random.MersenneTwister(seed)
        [ for _ in 1 .. count do
              let len = minSteps + rng.Next(hazards.Length - minSteps + 1)
              let first = [ 0 .. len - 1 ] |> List.tryFind (fun k -> rng.NextDouble() < hazards.[k])
              yield { Group = "synthetic"; NumSteps = len; FirstError = first; ErrorType = None } ]
