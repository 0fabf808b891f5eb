namespace QuantReason.Analysis

open System
open System.IO
open System.Text.Json
open QuantReason

/// One ProcessBench solution: a real model's step-by-step answer with the experts' index of its first wrong step.
type ProcessBenchItem =
    { Id: string
      /// `gsm8k`, `math`, … (the file name).
      Dataset: string
      Generator: string
      Steps: string[]
      FinalAnswerCorrect: bool
      /// 0-based first wrong step, −1 when every step is right.
      Label: int }

/// Loads ProcessBench (`data/processbench/{gsm8k,math}.json`, JSON arrays) and turns it into survival data.
module ProcessBench =

    let loadFile (file: string) : ProcessBenchItem list =
        let path = Path.GetFullPath file
        if not (File.Exists path) then raise (QuantReasonException("ProcessBench file not found", path))
        use doc = JsonRead.parse path (File.ReadAllText path)
        if doc.RootElement.ValueKind <> JsonValueKind.Array then JsonRead.fail path "expected a JSON array of solutions"
        let dataset = Path.GetFileNameWithoutExtension path
        doc.RootElement.EnumerateArray()
        |> Seq.mapi (fun i e ->
            let where = sprintf "%s [%d]" path i
            let steps =
                match JsonRead.req where "steps" e with
                | a when a.ValueKind = JsonValueKind.Array -> a.EnumerateArray() |> Seq.map (fun s -> s.GetString()) |> Array.ofSeq
                | _ -> JsonRead.fail where "field 'steps' must be an array of strings"
            let label = JsonRead.int where "label" e
            let id = JsonRead.str where "id" e
            if label < -1 || label >= steps.Length then
                JsonRead.fail (sprintf "%s (%s)" where id) (sprintf "label %d outside -1..%d" label (steps.Length - 1))
            { Id = id
              Dataset = dataset
              Generator = JsonRead.str where "generator" e
              Steps = steps
              FinalAnswerCorrect = JsonRead.bool where "final_answer_correct" e
              Label = label })
        |> List.ofSeq

    /// Every *.json of a folder, files in name order.
    let loadFolder (folder: string) : ProcessBenchItem list =
        if not (Directory.Exists folder) then
            raise (QuantReasonException("ProcessBench folder not found (run `quantreason data fetch processbench`)", folder))
        Directory.GetFiles(folder, "*.json")
        |> Array.sortWith (fun a b -> String.CompareOrdinal(a, b))
        |> Seq.collect loadFile
        |> List.ofSeq

    /// `data/processbench` under the shared folder ($QUANTREASON_SHARED or ../shared), if present.
    let defaultFolder () : string option =
        Paths.sharedRoot ()
        |> Option.map (fun s -> Path.Combine(s, "data", "processbench"))
        |> Option.filter Directory.Exists

    let toChain (group: ProcessBenchItem -> string) (item: ProcessBenchItem) : Chain =
        { Group = group item
          NumSteps = item.Steps.Length
          FirstError = (if item.Label < 0 then None else Some item.Label)
          ErrorType = None }

    let chains (group: ProcessBenchItem -> string) (items: ProcessBenchItem list) = items |> List.map (toChain group)

    let byDataset (item: ProcessBenchItem) = item.Dataset
    let byGenerator (item: ProcessBenchItem) = item.Generator
