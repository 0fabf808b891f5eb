/// Chart-export tests need Debian's chromium and npm's plotly.js; they skip with the reason when either is absent.
module QuantReason.Analysis.Tests.Chromium

open System
open Xunit
open QuantReason.Analysis

type ChromiumFactAttribute() as this =
    inherit FactAttribute()
    do ChartExporter.UnavailableReason |> Option.iter (fun r -> this.Skip <- "chart export unavailable: " + r)

/// One browser per test class (xunit class fixture), started lazily so skipped classes start nothing.
type ExporterFixture() =
    let exporter = lazy (ChartExporter.Create())
    member _.Exporter = exporter.Value
    interface IDisposable with
        member _.Dispose() = if exporter.IsValueCreated then (exporter.Value :> IDisposable).Dispose()
