import Foundation

@testable import CatalogDiff

/// Fuzz target `listing-page`: one `GET /v2/images` page as a server may send it, decoded as a run decodes it
/// (`ImageListPage`, each record checked by `validated()`), then planned against itself. No input may
/// crash, hang or trap; an error is a fine answer.
func fuzzListingPage(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let data = Data(bytes: bytes, count: count)
    guard let page = try? JSONDecoder().decode(ImageListPage.self, from: data) else { return 0 }
    let plan = CatalogPlan(source: page.images, target: page.images, scope: ImageScope(), rules: FieldRules())
    _ = plan.summary
    _ = SizeReport(source: "fuzz", catalog: page.images, scope: ImageScope())
    for image in page.images { _ = ImageRecord.pathSegment(image.id) }
    return 0
}
