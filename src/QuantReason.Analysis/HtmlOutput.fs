namespace QuantReason.Analysis

open System.IO
open System.Text.Encodings.Web
open Microsoft.AspNetCore.Html

/// HTML that Polyglot Notebooks renders as HTML (it formats IHtmlContent as text/html): charts, tables, frames.
type HtmlOutput(html: string) =
    member _.Html = html
    override _.ToString() = html
    interface IHtmlContent with
        member _.WriteTo(writer: TextWriter, _encoder: HtmlEncoder) = writer.Write html
