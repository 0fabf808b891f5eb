namespace QuantReason.Analysis

open System
open System.Globalization
open System.IO
open System.Text.Json
open QuantReason

/// A number as a paper printed it: its exact decimal value and how many decimals were printed.
type PrintedNumber =
    { Text: string
      Value: decimal
      Decimals: int }

type PublishedRow =
    { Model: string
      Method: string
      Score: PrintedNumber
      Delta: PrintedNumber option
      DeltaPct: PrintedNumber option }

type PublishedTable =
    { File: string
      Study: string
      Table: string
      Dataset: string
      Baseline: string
      Rows: PublishedRow list }

/// How a printed value compares with the value recomputed from the printed scores, at the printed precision.
type Verdict =
    /// Equal after rounding the recomputed value to the printed decimals.
    | Consistent
    /// Not the rounded value, but within one unit of the last printed digit of the exact one (a rounding slip).
    | LastDigit
    | Inconsistent

type PublishedCheck =
    { Table: string
      Model: string
      Method: string
      /// `Δ` or `Δ%`.
      Quantity: string
      Printed: PrintedNumber
      /// Recomputed from the printed scores, exact.
      Recomputed: decimal
      /// Recomputed, rounded to the printed decimals.
      Rounded: decimal
      /// Recomputed, rounded to two decimals for display.
      Shown: decimal
      Verdict: Verdict
      /// For Δ%: whether the printed Δ% does follow from the printed Δ (tells a wrong Δ from a wrong Δ%).
      FollowsPrintedDelta: bool option }

/// The studies' published tables (data/published/*.json) and the check that every printed Δ and Δ% follows from
/// the printed scores.
module Published =

    let private printed (where: string) (name: string) (e: JsonElement) : PrintedNumber =
        if e.ValueKind <> JsonValueKind.Number then JsonRead.fail where (sprintf "field '%s' must be a number" name)
        // The raw JSON text keeps the printed precision (4.0 has one decimal) that a double would lose.
        let text = e.GetRawText()
        let dot = text.IndexOf '.'
        { Text = text
          Value = Decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
          Decimals = (if dot < 0 then 0 else text.Length - dot - 1) }

    let load (file: string) : PublishedTable =
        let path = Path.GetFullPath file
        if not (File.Exists path) then raise (QuantReasonException("published table not found", path))
        use doc = JsonRead.parse path (File.ReadAllText path)
        let root = doc.RootElement
        let rows =
            match JsonRead.opt "rows" root with
            | Some a when a.ValueKind = JsonValueKind.Array ->
                a.EnumerateArray()
                |> Seq.mapi (fun i r ->
                    let where = sprintf "%s (rows[%d])" path i
                    { Model = JsonRead.str where "model" r
                      Method = JsonRead.str where "method" r
                      Score = printed where "score" (JsonRead.req where "score" r)
                      Delta = JsonRead.opt "delta" r |> Option.map (printed where "delta")
                      DeltaPct = JsonRead.opt "delta_pct" r |> Option.map (printed where "delta_pct") })
                |> List.ofSeq
            | _ -> JsonRead.fail path "missing array 'rows'"
        { File = Path.GetFileName path
          Study = JsonRead.str path "study" root
          Table = JsonRead.str path "table" root
          Dataset = JsonRead.str path "dataset" root
          Baseline = JsonRead.str path "baseline" root
          Rows = rows }

    /// Every *.json table of a folder, sorted by file name.
    let loadFolder (folder: string) : PublishedTable list =
        if not (Directory.Exists folder) then raise (QuantReasonException("published folder not found", folder))
        Directory.GetFiles(folder, "*.json")
        |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))
        |> Seq.map load
        |> List.ofSeq

    /// `data/published` of the repository.
    let defaultFolder () =
        match Paths.repoRoot () with
        | Some r -> Path.Combine(r, "data", "published")
        | None -> raise (QuantReasonException("repository root (Toolkit.sln) not found above the working directory", Environment.CurrentDirectory))

    let private roundings (decimals: int) (x: decimal) =
        [ Math.Round(x, decimals, MidpointRounding.AwayFromZero); Math.Round(x, decimals, MidpointRounding.ToEven) ]

    /// Compares a printed value with an exact recomputation at the printed precision.
    let verdict (printedValue: PrintedNumber) (exact: decimal) : Verdict =
        let unit = 1M / decimal (Math.Pow(10.0, float printedValue.Decimals))
        if roundings printedValue.Decimals exact |> List.contains printedValue.Value then Consistent
        // A slip rounds the wrong way or truncates: the printed value is still within one unit of the exact one.
        elif abs (exact - printedValue.Value) <= unit then LastDigit
        else Inconsistent

    /// Recomputes Δ = baseline − score and Δ% = Δ / baseline × 100 for every row that prints them.
    let check (table: PublishedTable) : PublishedCheck list =
        [ for model in table.Rows |> List.map (fun r -> r.Model) |> List.distinct do
              let rows = table.Rows |> List.filter (fun r -> r.Model = model)
              let baseline =
                  match rows |> List.tryFind (fun r -> r.Method = table.Baseline) with
                  | Some b -> b.Score
                  | None ->
                      raise (QuantReasonException(sprintf "model '%s' has no '%s' row" model table.Baseline, table.File))
              for row in rows do
                  let delta = baseline.Value - row.Score.Value
                  match row.Delta with
                  | Some p ->
                      yield
                          { Table = table.File
                            Model = model
                            Method = row.Method
                            Quantity = "Δ"
                            Printed = p
                            Recomputed = delta
                            Rounded = Math.Round(delta, p.Decimals, MidpointRounding.AwayFromZero)
                            Shown = Math.Round(delta, 2, MidpointRounding.AwayFromZero)
                            Verdict = verdict p delta
                            FollowsPrintedDelta = None }
                  | None -> ()
                  match row.DeltaPct with
                  | Some p ->
                      let pct = delta / baseline.Value * 100M
                      let fromPrinted = row.Delta |> Option.map (fun d -> verdict p (d.Value / baseline.Value * 100M) = Consistent)
                      yield
                          { Table = table.File
                            Model = model
                            Method = row.Method
                            Quantity = "Δ%"
                            Printed = p
                            Recomputed = pct
                            Rounded = Math.Round(pct, p.Decimals, MidpointRounding.AwayFromZero)
                            Shown = Math.Round(pct, 2, MidpointRounding.AwayFromZero)
                            Verdict = verdict p pct
                            FollowsPrintedDelta = fromPrinted }
                  | None -> () ]

    /// The printed values that do not follow from the printed scores.
    let flagged (checks: PublishedCheck list) = checks |> List.filter (fun c -> c.Verdict <> Consistent)
