namespace QuantReason.Analysis

open System
open System.Globalization
open System.Text
open System.Web

/// A table ready for rendering: every cell already formatted, so Markdown, LaTeX and HTML show the same digits.
type Table =
    { Caption: string
      /// LaTeX label suffix (`tab:<Label>`) and file name stem.
      Label: string
      Columns: string list
      /// `l` or `r` per column.
      Align: string
      Rows: string list list }

/// Renders analysis results as Markdown, LaTeX (booktabs) and HTML tables, with fixed invariant formatting so
/// that the same results always give the same bytes.
module Tables =

    let private inv = CultureInfo.InvariantCulture

    /// Two decimals, invariant; "–" for a missing or undefined value.
    let f2 (x: float) = if Double.IsNaN x || Double.IsInfinity x then "–" else x.ToString("0.00", inv)
    let f1 (x: float) = if Double.IsNaN x || Double.IsInfinity x then "–" else x.ToString("0.0", inv)
    let f3 (x: float) = if Double.IsNaN x || Double.IsInfinity x then "–" else x.ToString("0.000", inv)
    let interval (fmt: float -> string) (e: Estimate) = sprintf "[%s, %s]" (fmt e.Lower) (fmt e.Upper)
    let opt (fmt: 'a -> string) (x: 'a option) = x |> Option.map fmt |> Option.defaultValue "–"

    let toMarkdown (t: Table) : string =
        let sb = StringBuilder()
        let esc (s: string) = s.Replace("|", "\\|")
        sb.Append(sprintf "**%s**\n\n" t.Caption) |> ignore
        sb.Append("| " + String.Join(" | ", t.Columns |> List.map esc) + " |\n") |> ignore
        let rule = t.Align |> Seq.map (fun a -> if a = 'r' then "---:" else "---") |> String.concat " | "
        sb.Append("| " + rule + " |\n") |> ignore
        for row in t.Rows do
            sb.Append("| " + String.Join(" | ", row |> List.map esc) + " |\n") |> ignore
        sb.ToString()

    /// LaTeX text: specials escaped, Δ and ± as math.
    let latexEscape (s: string) =
        let sb = StringBuilder()
        for c in s do
            match c with
            | '\\' -> sb.Append("\\textbackslash{}") |> ignore
            | '&' | '%' | '$' | '#' | '_' | '{' | '}' -> sb.Append('\\').Append(c) |> ignore
            | '~' -> sb.Append("\\textasciitilde{}") |> ignore
            | '^' -> sb.Append("\\textasciicircum{}") |> ignore
            | 'Δ' -> sb.Append("$\\Delta$") |> ignore
            | '±' -> sb.Append("$\\pm$") |> ignore
            | '–' -> sb.Append("--") |> ignore
            | '≥' -> sb.Append("$\\geq$") |> ignore
            | c -> sb.Append(c) |> ignore
        sb.ToString()

    let toLatex (t: Table) : string =
        let sb = StringBuilder()
        sb.Append("\\begin{table}[t]\n\\centering\n\\small\n") |> ignore
        sb.Append(sprintf "\\caption{%s}\n\\label{tab:%s}\n" (latexEscape t.Caption) t.Label) |> ignore
        sb.Append(sprintf "\\begin{tabular}{%s}\n\\toprule\n" t.Align) |> ignore
        sb.Append(String.Join(" & ", t.Columns |> List.map latexEscape) + " \\\\\n\\midrule\n") |> ignore
        for row in t.Rows do
            sb.Append(String.Join(" & ", row |> List.map latexEscape) + " \\\\\n") |> ignore
        sb.Append("\\bottomrule\n\\end{tabular}\n\\end{table}\n") |> ignore
        sb.ToString()

    let toHtml (t: Table) : HtmlOutput =
        let enc (s: string) = HttpUtility.HtmlEncode s
        let sb = StringBuilder()
        sb.Append("<table class=\"qr-table\" style=\"border-collapse:collapse;font-size:12px\">") |> ignore
        sb.Append(sprintf "<caption style=\"text-align:left;font-weight:bold\">%s</caption><thead><tr>" (enc t.Caption)) |> ignore
        for c in t.Columns do
            sb.Append(sprintf "<th style=\"border-bottom:1px solid #000;padding:2px 8px\">%s</th>" (enc c)) |> ignore
        sb.Append("</tr></thead><tbody>") |> ignore
        for row in t.Rows do
            sb.Append("<tr>") |> ignore
            List.zip row (List.ofSeq t.Align |> List.truncate row.Length)
            |> List.iter (fun (cell, a) ->
                sb.Append(sprintf "<td style=\"padding:2px 8px;text-align:%s\">%s</td>" (if a = 'r' then "right" else "left") (enc cell)) |> ignore)
            sb.Append("</tr>") |> ignore
        sb.Append("</tbody></table>") |> ignore
        HtmlOutput(sb.ToString())

    // ---- the studies' tables ----------------------------------------------------------------------------------

    let degradation (caption: string) (rows: DegradationRow list) : Table =
        { Caption = caption
          Label = "degradation"
          Columns = [ "Model"; "Configuration"; "n"; "Score"; "95% CI"; "Δ"; "Δ 95% CI"; "Δ%" ]
          Align = "llrrrrrr"
          Rows =
            rows
            |> List.map (fun r ->
                [ r.Model
                  Config.label r.Config
                  string r.Samples
                  f2 r.Score.Value
                  interval f2 r.Score
                  opt (fun (d: Estimate) -> f2 d.Value) r.Delta
                  opt (interval f2) r.Delta
                  opt f2 r.DeltaPct ]) }

    let errorShares (caption: string) (label: string) (shares: ErrorShare list) : Table =
        { Caption = caption
          Label = label
          Columns = [ "Model"; "Configuration"; "Error"; "Count"; "Share (%)"; "95% CI" ]
          Align = "lllrrr"
          Rows =
            shares
            |> List.map (fun s -> [ s.Model; Config.label s.Config; s.Key; string s.Count; f1 s.Share.Value; interval f1 s.Share ]) }

    /// The study's ablation layout: one row per quantized configuration; FP, quantized, Aligned and Settings 0–3.
    let ablation (caption: string) (rows: AblationRow list) : Table =
        let settings = Ablation.settings rows
        { Caption = caption
          Label = "ablation"
          Columns = [ "Model"; "Configuration"; "FP"; "Quantized" ] @ settings
          Align = "ll" + String('r', 2 + settings.Length)
          Rows =
            rows
            |> List.map (fun r ->
                [ r.Model; r.Configuration; f1 r.Fp.Value; f1 r.Quantized.Value ]
                @ (settings |> List.map (fun s -> Ablation.score s r |> opt (fun e -> f1 e.Value)))) }

    /// FP / quantized / aligned / restored per training run, with the paired gain and the capability recovered.
    let restoration (caption: string) (rows: RestorationRow list) : Table =
        let aligned (r: RestorationRow) =
            rows |> List.tryFind (fun a -> a.Stage = "align" && a.Model = r.Model && a.BaseRun = r.BaseRun) |> opt (fun a -> f1 a.Score.Value)
        { Caption = caption
          Label = "restoration"
          Columns =
            [ "Model"; "Configuration"; "Setting"; "Pairs"; "n"; "FP"; "Quantized"; "Aligned"; "Restored"; "95% CI"; "Gain"
              "95% CI"; "Recovered (%)"; "95% CI" ]
          Align = "lllrrrrrrrrrrr"
          Rows =
            rows
            |> List.map (fun r ->
                [ r.Model; r.Configuration; r.Setting; opt string r.Pairs; string r.Problems; f1 r.Fp.Value; f1 r.Quantized.Value
                  aligned r; f1 r.Score.Value; interval f1 r.Score; f1 r.Gain.Value; interval f1 r.Gain
                  f1 (100.0 * r.Recovered.Value); interval f1 (Stats.scale 100.0 r.Recovered) ]) }

    /// The Reasoning-QAT findings: both accuracies with Wilson intervals, the paired difference, and overlap.
    let qatFindings (caption: string) (rows: QatFinding list) : Table =
        { Caption = caption
          Label = "qat-findings"
          Columns = [ "Comparison"; "Bits"; "A"; "B"; "n"; "A (%)"; "95% CI"; "B (%)"; "95% CI"; "A − B"; "95% CI"; "Intervals overlap" ]
          Align = "lrllrrrrrrrl"
          Rows =
            rows
            |> List.map (fun r ->
                [ r.Comparison; string r.Bits; r.A; r.B; string r.Problems; f1 r.AccuracyA.Value; interval f1 r.AccuracyA
                  f1 r.AccuracyB.Value; interval f1 r.AccuracyB; f1 r.Difference.Value; interval f1 r.Difference
                  (if r.Overlap then "yes" else "no") ]) }

    /// First errors by type before (quantized) and after each training run, over the problems the row pairs.
    let firstErrorChanges (caption: string) (rows: RestorationRow list) : Table =
        { Caption = caption
          Label = "restoration-error-types"
          Columns = [ "Model"; "Configuration"; "Setting"; "Error type"; "Before"; "After"; "Change" ]
          Align = "llllrrr"
          Rows =
            rows
            |> List.collect (fun r ->
                r.FirstErrors
                |> List.map (fun (t, before, after) ->
                    [ r.Model; r.Configuration; r.Setting; t; string before; string after; sprintf "%+d" (after - before) ])) }

    let published (caption: string) (checks: PublishedCheck list) : Table =
        let verdict =
            function
            | Consistent -> "consistent"
            | LastDigit -> "rounding slip"
            | Inconsistent -> "INCONSISTENT"
        { Caption = caption
          Label = "published-check"
          Columns = [ "Table"; "Model"; "Method"; "Quantity"; "Printed"; "Recomputed"; "Verdict"; "Follows printed Δ" ]
          Align = "llllrrll"
          Rows =
            checks
            |> List.map (fun c ->
                [ c.Table; c.Model; c.Method; c.Quantity; c.Printed.Text
                  c.Shown.ToString(inv); verdict c.Verdict
                  (match c.FollowsPrintedDelta with Some true -> "yes" | Some false -> "no" | None -> "–") ]) }

    let hazards (caption: string) (curves: SurvivalCurve list) : Table =
        { Caption = caption
          Label = "hazards"
          Columns = [ "Group"; "Step"; "At risk"; "First errors"; "Hazard"; "95% CI"; "S(k)"; "95% band" ]
          Align = "lrrrrrrr"
          Rows =
            curves
            |> List.collect (fun c ->
                List.zip c.Hazards c.Survival
                |> List.map (fun (h, s) ->
                    [ c.Group; string h.Step; string h.AtRisk; string h.Events; f3 h.Hazard.Value
                      interval f3 h.Hazard; f3 s.Survival.Value; interval f3 s.Survival ])) }

    let projection (caption: string) (shares: ProjectedShare list) : Table =
        { Caption = caption
          Label = "all-errors-projection"
          Columns = [ "Error type"; "First errors"; "Share (%)"; "Projected, all errors"; "Share (%)"; "Shift (points)" ]
          Align = "lrrrrr"
          Rows =
            shares
            |> List.map (fun s ->
                [ s.ErrorType; string s.FirstOnly; f1 s.FirstOnlyShare; f1 s.Projected; f1 s.ProjectedShare
                  f1 (s.ProjectedShare - s.FirstOnlyShare) ]) }
