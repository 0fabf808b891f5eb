namespace QuantReason.Analysis

open System
open System.Text
open System.Web
open Deedle

/// One evaluated sample with its run's configuration and (optionally) its first-error label: the row type of every
/// analysis table.
type Row =
    { Run: string
      Model: string
      Config: Config
      Dataset: string
      Tags: Map<string, string>
      ProblemId: string
      Sample: int
      Subject: string option
      Level: int option
      Correct: bool
      FinishReason: string
      Label: Label option }

/// Rows are records; these small functions filter, group and join them by problem id, and hand them to Deedle where
/// the analysis pivots (method × bits × level, error-type shares).
module Frame =

    /// Labels from `labeller` (the first when a sample has several from it), or from any labeller when None.
    let private labelIndex (labeller: string option) (run: Run) =
        run.Labels
        |> List.filter (fun l -> labeller |> Option.forall ((=) l.Labeller))
        |> List.groupBy (fun l -> l.ProblemId, l.Sample)
        |> List.map (fun (k, ls) -> k, List.head ls)
        |> Map.ofList

    /// Rows of one run, predictions in file order, labels attached by (problem_id, sample).
    let ofRun (labeller: string option) (run: Run) : Row list =
        let labels = labelIndex labeller run
        let m = run.Manifest
        let config = Config.ofManifest m
        run.Predictions
        |> List.map (fun p ->
            { Run = m.RunId
              Model = m.Model.Name
              Config = config
              Dataset = m.Dataset.Name
              Tags = m.Tags
              ProblemId = p.ProblemId
              Sample = p.Sample
              Subject = p.Subject
              Level = p.Level
              Correct = p.Correct
              FinishReason = p.FinishReason
              Label = labels |> Map.tryFind (p.ProblemId, p.Sample) })

    let ofRuns (labeller: string option) (runs: Run list) : Row list = runs |> List.collect (ofRun labeller)

    let filter (predicate: Row -> bool) (rows: Row list) = List.filter predicate rows

    /// Groups in first-appearance order of their keys (stable, so tables come out in a reproducible order).
    let groupBy (key: Row -> 'k) (rows: Row list) : ('k * Row list) list =
        let order = rows |> List.map key |> List.distinct
        let groups = rows |> List.groupBy key |> dict
        order |> List.map (fun k -> k, groups.[k])

    /// Accuracy in percent of a group (mean over samples).
    let accuracy (rows: Row list) : float =
        if List.isEmpty rows then nan
        else 100.0 * float (rows |> List.filter (fun r -> r.Correct) |> List.length) / float rows.Length

    /// A pivot: one cell per (row key, column key) with `value` applied to the rows that share both.
    let pivot (rowKey: Row -> 'r) (colKey: Row -> 'c) (value: Row list -> 'v) (rows: Row list) : Map<'r * 'c, 'v> =
        rows |> List.groupBy (fun r -> rowKey r, colKey r) |> List.map (fun (k, g) -> k, value g) |> Map.ofList

    /// Pairs the rows of two frames that share (problem_id, sample); rows without a partner are dropped.
    let joinByProblem (left: Row list) (right: Row list) : (Row * Row) list =
        let index = right |> List.map (fun r -> (r.ProblemId, r.Sample), r) |> Map.ofList
        left |> List.choose (fun l -> index |> Map.tryFind (l.ProblemId, l.Sample) |> Option.map (fun r -> l, r))

    /// The rows as a Deedle frame, one column per field a pivot groups by (`Model`, `Configuration`, `Method`,
    /// `Bits`, `Level`, `Subject`, `ErrorType`, `Category`) and `Correct` as 0/100 so that a mean is an accuracy in %.
    let toDeedle (rows: Row list) : Deedle.Frame<int, string> =
        rows
        |> List.map (fun r ->
            {| Model = r.Model
               Configuration = Config.label r.Config
               Method = r.Config.Method
               Bits = defaultArg r.Config.Bits 16
               Level = r.Level |> Option.map string |> Option.defaultValue "–"
               Subject = defaultArg r.Subject "–"
               ErrorType = r.Label |> Option.bind (fun l -> l.ErrorType) |> Option.defaultValue "–"
               Category = r.Label |> Option.bind (fun l -> l.Category) |> Option.defaultValue "–"
               Correct = if r.Correct then 100.0 else 0.0 |})
        |> Deedle.Frame.ofRecords

    /// Mean of `value` for each (row key, column key) pair of string columns: e.g. accuracy by configuration × level.
    let pivotMean (rowColumn: string) (colColumn: string) (value: string) (frame: Deedle.Frame<int, string>) : Deedle.Frame<string, string> =
        frame
        |> Deedle.Frame.pivotTable
            (fun _ (r: ObjectSeries<string>) -> string (r.Get rowColumn))
            (fun _ (r: ObjectSeries<string>) -> string (r.Get colColumn))
            (fun (f: Deedle.Frame<int, string>) -> Deedle.Stats.mean (f.GetColumn<float> value))

    /// Counts of rows for each (row key, column key) pair of string columns: e.g. first errors by configuration × type.
    let pivotCount (rowColumn: string) (colColumn: string) (frame: Deedle.Frame<int, string>) : Deedle.Frame<string, string> =
        frame
        |> Deedle.Frame.pivotTable
            (fun _ (r: ObjectSeries<string>) -> string (r.Get rowColumn))
            (fun _ (r: ObjectSeries<string>) -> string (r.Get colColumn))
            (fun (f: Deedle.Frame<int, string>) -> float f.RowCount)

    /// A cell of a pivot, NaN where the pair never occurs.
    let cell (row: string) (col: string) (frame: Deedle.Frame<string, string>) : float =
        match frame.TryGetColumn<float>(col, Lookup.Exact) with
        | OptionalValue.Present c -> (match c.TryGet row with OptionalValue.Present v -> v | _ -> nan)
        | _ -> nan

    /// A Deedle frame as an HTML table (Deedle's own notebook display dumps its internals): at most `maxRows`
    /// rows, numbers with two decimals, missing values as "–".
    let toHtmlLimited (maxRows: int) (frame: Deedle.Frame<'R, 'C>) : HtmlOutput =
        let enc (o: obj) =
            match o with
            | null -> "–"
            | :? float as f when Double.IsNaN f -> "–"
            | :? float as f -> f.ToString("0.00", Globalization.CultureInfo.InvariantCulture)
            | o -> HttpUtility.HtmlEncode(string o)
        let sb = StringBuilder()
        sb.Append("<table class=\"qr-frame\"><thead><tr><th></th>") |> ignore
        for c in frame.ColumnKeys do
            sb.Append("<th>").Append(enc (box c)).Append("</th>") |> ignore
        sb.Append("</tr></thead><tbody>\n") |> ignore
        let columns = frame.Columns.Values |> Seq.toArray
        for r in frame.RowKeys |> Seq.truncate maxRows do
            sb.Append("<tr><th>").Append(enc (box r)).Append("</th>") |> ignore
            for c in columns do
                let v = match c.TryGet r with OptionalValue.Present v -> v | _ -> null
                sb.Append("<td>").Append(enc v).Append("</td>") |> ignore
            sb.Append("</tr>\n") |> ignore
        sb.Append("</tbody></table>") |> ignore
        if frame.RowCount > maxRows then sb.AppendFormat("<p>{0} of {1} rows shown</p>", maxRows, frame.RowCount) |> ignore
        HtmlOutput(sb.ToString())

    let toHtml (frame: Deedle.Frame<'R, 'C>) : HtmlOutput = toHtmlLimited 50 frame

    /// `toHtml` for a frame known only as an object (a notebook's display formatter for any `Frame<_, _>`).
    let htmlOfObject (frame: obj) : string =
        let arguments = frame.GetType().GetGenericArguments()
        let generic = Reflection.MethodBase.GetCurrentMethod().DeclaringType.GetMethod("toHtml")
        (generic.MakeGenericMethod(arguments).Invoke(null, [| frame |]) :?> HtmlOutput).Html
