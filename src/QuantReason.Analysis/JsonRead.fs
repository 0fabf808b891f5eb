namespace QuantReason.Analysis

open System.Text.Json
open QuantReason

/// Typed reads from System.Text.Json elements that fail with a QuantReasonException naming the file (and line) and the
/// field, so a malformed run directory is reported once, at the boundary, in words a user can act on.
module JsonRead =

    let fail (where: string) (message: string) : 'a = raise (QuantReasonException(message, where))

    let private present (name: string) (e: JsonElement) =
        if e.ValueKind <> JsonValueKind.Object then None
        else
            match e.TryGetProperty name with
            | true, v when v.ValueKind <> JsonValueKind.Null -> Some v
            | _ -> None

    /// The field when present and not null.
    let opt (name: string) (e: JsonElement) : JsonElement option = present name e

    let req (where: string) (name: string) (e: JsonElement) : JsonElement =
        match present name e with
        | Some v -> v
        | None -> fail where (sprintf "missing field '%s'" name)

    let private asString where name (v: JsonElement) =
        if v.ValueKind = JsonValueKind.String then v.GetString()
        else fail where (sprintf "field '%s' must be a string, found %A" name v.ValueKind)

    let private asInt where name (v: JsonElement) =
        match v.ValueKind with
        | JsonValueKind.Number ->
            match v.TryGetInt32() with
            | true, i -> i
            | _ -> fail where (sprintf "field '%s' must be an integer, found %s" name (v.GetRawText()))
        | _ -> fail where (sprintf "field '%s' must be an integer, found %A" name v.ValueKind)

    let private asFloat where name (v: JsonElement) =
        if v.ValueKind = JsonValueKind.Number then v.GetDouble()
        else fail where (sprintf "field '%s' must be a number, found %A" name v.ValueKind)

    let private asBool where name (v: JsonElement) =
        match v.ValueKind with
        | JsonValueKind.True -> true
        | JsonValueKind.False -> false
        | k -> fail where (sprintf "field '%s' must be true or false, found %A" name k)

    let str where name e = req where name e |> asString where name
    let int where name e = req where name e |> asInt where name
    let float where name e = req where name e |> asFloat where name
    let bool where name e = req where name e |> asBool where name
    let optStr where name e = opt name e |> Option.map (asString where name)
    let optInt where name e = opt name e |> Option.map (asInt where name)
    let optFloat where name e = opt name e |> Option.map (asFloat where name)
    let optBool where name e = opt name e |> Option.map (asBool where name)

    /// Parses one JSON document, turning a syntax error into a QuantReasonException at `where`.
    let parse (where: string) (text: string) : JsonDocument =
        try JsonDocument.Parse(text)
        with :? JsonException as ex -> fail where (sprintf "invalid JSON: %s" ex.Message)
