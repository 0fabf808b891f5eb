namespace QuantReason.Analysis

open System
open System.IO

/// Locates the repository and the shared reference folder without hard-coding a machine's layout:
/// notebooks, tests and the CLI run from different working directories.
module Paths =

    /// Walks up from `start` to the first folder holding Toolkit.sln.
    let repoRootFrom (start: string) : string option =
        let rec up (dir: DirectoryInfo) =
            if isNull dir then None
            elif File.Exists(Path.Combine(dir.FullName, "Toolkit.sln")) then Some dir.FullName
            else up dir.Parent
        up (DirectoryInfo(Path.GetFullPath start))

    /// The repository root seen from the current directory, else from the running binary.
    let repoRoot () : string option =
        match repoRootFrom Environment.CurrentDirectory with
        | Some r -> Some r
        | None -> repoRootFrom AppContext.BaseDirectory

    /// `$QUANTREASON_SHARED`, else `../shared` beside the repository; None when neither exists.
    let sharedRoot () : string option =
        match Environment.GetEnvironmentVariable "QUANTREASON_SHARED" with
        | s when not (String.IsNullOrEmpty s) -> if Directory.Exists s then Some(Path.GetFullPath s) else None
        | _ ->
            repoRoot ()
            |> Option.map (fun r -> Path.GetFullPath(Path.Combine(r, "..", "shared")))
            |> Option.filter Directory.Exists
