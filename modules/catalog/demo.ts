import { createHash } from 'node:crypto';
import type { Ctx } from '../../platform/context.ts';
import { type BulkItem, bulkUpsertProducts } from './bulk.ts';
import { gtinCheckDigit } from './rules.ts';
import { createBrand, createCategory, createFamily, createMedia, listProducts } from './service.ts';

/**
 * The demo catalogue of Acme Industrie, an industrial hardware supplier: 3 families with typed
 * attributes, a 3-level category tree, 6 brands, ~40 products in French and English with their
 * packaging — created through the service functions, as the API would.
 */
export async function seedDemoCatalog(ctx: Ctx): Promise<{ products: number }> {
  const n = (fr: string, en: string) => ({ fr, en });
  await createFamily(ctx, {
    code: 'power-tools',
    name: n('Outillage électroportatif', 'Power tools'),
    attributes: [
      {
        code: 'voltage',
        type: 'number',
        unit: 'V',
        label: n('Tension', 'Voltage'),
        filterable: true,
        required: true,
      },
      {
        code: 'power',
        type: 'number',
        unit: 'W',
        label: n('Puissance', 'Power'),
        filterable: false,
        required: false,
      },
      {
        code: 'battery',
        type: 'enum',
        label: n('Batterie', 'Battery'),
        values: [
          { code: 'none', label: n('Machine nue', 'Bare tool') },
          { code: '2x3ah', label: n('2 × 3 Ah', '2 × 3 Ah') },
          { code: '2x5ah', label: n('2 × 5 Ah', '2 × 5 Ah') },
          { code: 'corded', label: n('Filaire', 'Corded') },
        ],
        filterable: true,
        required: true,
      },
      {
        code: 'brushless',
        type: 'boolean',
        label: n('Moteur sans charbons', 'Brushless motor'),
        filterable: true,
        required: false,
      },
    ],
  });
  await createFamily(ctx, {
    code: 'fasteners',
    name: n('Visserie et fixations', 'Fasteners'),
    attributes: [
      {
        code: 'diameter',
        type: 'number',
        unit: 'mm',
        label: n('Diamètre', 'Diameter'),
        filterable: true,
        required: true,
      },
      {
        code: 'length',
        type: 'number',
        unit: 'mm',
        label: n('Longueur', 'Length'),
        filterable: true,
        required: true,
      },
      {
        code: 'material',
        type: 'enum',
        label: n('Matière', 'Material'),
        values: [
          { code: 'zinc', label: n('Acier zingué', 'Zinc-plated steel') },
          { code: 'a2', label: n('Inox A2', 'Stainless A2') },
          { code: 'a4', label: n('Inox A4', 'Stainless A4') },
          { code: 'nylon', label: n('Nylon', 'Nylon') },
        ],
        filterable: true,
        required: true,
      },
      { code: 'head', type: 'text', label: n('Tête', 'Head'), filterable: false, required: false },
    ],
  });
  await createFamily(ctx, {
    code: 'ppe',
    name: n('Équipements de protection', 'Personal protective equipment'),
    attributes: [
      {
        code: 'size',
        type: 'enum',
        label: n('Taille', 'Size'),
        values: ['S', 'M', 'L', 'XL', '9', '10', '42', '43', 'U'].map((s) => ({ code: s, label: n(s, s) })),
        filterable: true,
        required: true,
      },
      { code: 'standard', type: 'text', label: n('Norme', 'Standard'), filterable: false, required: true },
    ],
  });

  const cat = async (
    code: string,
    name: { fr: string; en: string },
    parent?: string,
    position = 0,
    active = true,
  ) =>
    (await createCategory(ctx, { code, name, ...(parent ? { parent_id: parent } : {}), position, active }))
      .id;
  const tools = await cat('outillage', n('Outillage', 'Tools'), undefined, 1);
  const power = await cat('electroportatif', n('Électroportatif', 'Power tools'), tools, 1);
  await cat('perceuses', n('Perceuses et visseuses', 'Drills and drivers'), power, 1);
  await cat('meuleuses', n('Meuleuses', 'Grinders'), power, 2);
  await cat('scies', n('Scies', 'Saws'), power, 3);
  const fixings = await cat('fixations', n('Fixations', 'Fixings'), undefined, 2);
  await cat('vis', n('Vis', 'Screws'), fixings, 1);
  await cat('chevilles', n('Chevilles', 'Wall plugs'), fixings, 2);
  await cat('boulons', n('Boulons et écrous', 'Bolts and nuts'), fixings, 3);
  const epi = await cat('epi', n('Protection individuelle', 'Protective equipment'), undefined, 3);
  await cat('gants', n('Gants', 'Gloves'), epi, 1);
  await cat('chaussures', n('Chaussures de sécurité', 'Safety shoes'), epi, 2);
  await cat('lunettes', n('Lunettes', 'Safety glasses'), epi, 3);
  await cat('destockage', n('Déstockage', 'Clearance'), undefined, 9, false);

  const elec = await cat('electricite', n('Électricité', 'Electrical'), undefined, 4);
  await cat('cables', n('Câbles et fils', 'Cables and wires'), elec, 1);
  await cat('disjoncteurs', n('Disjoncteurs', 'Circuit breakers'), elec, 2);
  await cat('outils-main', n('Outillage à main', 'Hand tools'), tools, 2);
  await createFamily(ctx, {
    code: 'electrical',
    name: n('Matériel électrique', 'Electrical supplies'),
    attributes: [
      {
        code: 'voltage',
        type: 'number',
        unit: 'V',
        label: n('Tension', 'Voltage'),
        filterable: true,
        required: true,
      },
      {
        code: 'section',
        type: 'number',
        unit: 'mm²',
        label: n('Section', 'Cross-section'),
        filterable: true,
        required: false,
      },
    ],
  });
  await createFamily(ctx, {
    code: 'hand-tools',
    name: n('Outillage à main', 'Hand tools'),
    attributes: [
      {
        code: 'size_mm',
        type: 'number',
        unit: 'mm',
        label: n('Taille', 'Size'),
        filterable: true,
        required: false,
      },
      { code: 'set', type: 'boolean', label: n('Coffret', 'Set'), filterable: true, required: false },
    ],
  });
  for (const [code, name] of [
    ['nexans', 'Nexans'],
    ['legrand', 'Legrand'],
    ['schneider', 'Schneider Electric'],
    ['facom', 'Facom'],
    ['stanley', 'Stanley'],
    ['makita', 'Makita'],
    ['bosch', 'Bosch Professional'],
    ['dewalt', 'DeWalt'],
    ['fischer', 'Fischer'],
    ['wurth', 'Würth'],
    ['delta-plus', 'Delta Plus'],
  ] as const)
    await createBrand(ctx, { code, name });

  // GTINs in Acme's own GS1 prefix, each with its check digit.
  let serial = 0;
  const gtin = () => {
    const body = `376012345${String(++serial).padStart(3, '0')}`;
    return `${body}${gtinCheckDigit(body)}`;
  };
  const items: BulkItem[] = [];
  const tool = (
    code: string,
    brand: string,
    category: string,
    name: [string, string],
    desc: [string, string],
    voltage: number,
    brushless: boolean,
    kits: string[],
  ) =>
    items.push({
      code,
      family_code: 'power-tools',
      brand_code: brand,
      status: 'active',
      name: n(...name),
      description: n(...desc),
      category_codes: [category],
      attributes: { voltage, brushless },
      variants: kits.map((battery, i) => ({
        sku: `${code}-${battery.toUpperCase()}`,
        gtin: gtin(),
        mpn: `${code.split('-')[1]}${i ? `-K${i}` : 'Z'}`,
        name: battery === 'none' ? n('Machine nue', 'Bare tool') : n(`Coffret ${battery}`, `Kit ${battery}`),
        attributes: { battery },
        weight: 1.5 + i * 0.6,
        length: 200,
        width: 80,
        height: 250,
      })),
    });
  tool(
    'MAK-DDF485',
    'makita',
    'perceuses',
    ['Perceuse-visseuse sans fil 18 V', 'Cordless drill driver 18 V'],
    [
      'Mandrin auto-serrant 13 mm, couple 50 Nm, moteur sans charbons.',
      '13 mm keyless chuck, 50 Nm torque, brushless motor.',
    ],
    18,
    true,
    ['none', '2x3ah', '2x5ah'],
  );
  tool(
    'MAK-DHP482',
    'makita',
    'perceuses',
    ['Perceuse à percussion sans fil 18 V', 'Cordless hammer drill 18 V'],
    ['Percussion pour maçonnerie légère, 62 Nm.', 'Hammer mode for light masonry, 62 Nm.'],
    18,
    false,
    ['none', '2x3ah'],
  );
  tool(
    'BOS-GSR12',
    'bosch',
    'perceuses',
    ['Perceuse-visseuse compacte 12 V', 'Compact drill driver 12 V'],
    ['Légère et maniable pour le second œuvre.', 'Light and handy for finishing work.'],
    12,
    false,
    ['none', '2x3ah'],
  );
  tool(
    'BOS-GBH2-26',
    'bosch',
    'perceuses',
    ['Perforateur SDS-Plus 830 W', 'SDS-Plus rotary hammer 830 W'],
    ['Perçage béton jusqu’à 26 mm, burinage.', 'Drills concrete up to 26 mm, chiselling.'],
    230,
    false,
    ['corded'],
  );
  tool(
    'DEW-DCD796',
    'dewalt',
    'perceuses',
    ['Perceuse à percussion XR 18 V', 'XR hammer drill 18 V'],
    ['Moteur sans charbons, 2 vitesses.', 'Brushless motor, 2 speeds.'],
    18,
    true,
    ['none', '2x5ah'],
  );
  tool(
    'MAK-GA5030',
    'makita',
    'meuleuses',
    ['Meuleuse d’angle 125 mm 720 W', 'Angle grinder 125 mm 720 W'],
    ['Pour la découpe et l’ébarbage des métaux.', 'For cutting and deburring metal.'],
    230,
    false,
    ['corded'],
  );
  tool(
    'BOS-GWS18V',
    'bosch',
    'meuleuses',
    ['Meuleuse sans fil 18 V 125 mm', 'Cordless grinder 18 V 125 mm'],
    ['Frein électronique, protection anti-redémarrage.', 'Electronic brake, restart protection.'],
    18,
    true,
    ['none', '2x5ah'],
  );
  tool(
    'DEW-DWE4157',
    'dewalt',
    'meuleuses',
    ['Meuleuse d’angle 125 mm 900 W', 'Angle grinder 125 mm 900 W'],
    ['Carter ajustable sans outil.', 'Tool-free adjustable guard.'],
    230,
    false,
    ['corded'],
  );
  tool(
    'MAK-DHS680',
    'makita',
    'scies',
    ['Scie circulaire sans fil 165 mm', 'Cordless circular saw 165 mm'],
    ['Profondeur de coupe 57 mm.', '57 mm cutting depth.'],
    18,
    true,
    ['none', '2x5ah'],
  );
  tool(
    'BOS-GST90',
    'bosch',
    'scies',
    ['Scie sauteuse 650 W', 'Jigsaw 650 W'],
    ['Coupe courbe précise dans le bois et le métal.', 'Precise curved cuts in wood and metal.'],
    230,
    false,
    ['corded'],
  );
  tool(
    'DEW-DCS391',
    'dewalt',
    'scies',
    ['Scie circulaire XR 18 V 165 mm', 'XR circular saw 18 V 165 mm'],
    ['Profondeur de coupe 55 mm, frein moteur.', '55 mm cutting depth, motor brake.'],
    18,
    false,
    ['none'],
  );

  const fastener = (
    code: string,
    brand: string,
    category: string,
    name: [string, string],
    desc: [string, string] | null,
    material: string,
    sizes: [number, number, number][],
    head?: string,
  ) =>
    items.push({
      code,
      family_code: 'fasteners',
      brand_code: brand,
      status: 'active',
      name: n(...name),
      ...(desc ? { description: n(...desc) } : {}),
      category_codes: [category],
      attributes: { material, ...(head ? { head } : {}) },
      variants: sizes.map(([d, l, box]) => ({
        sku: `${code}-${d}X${l}-B${box}`,
        gtin: gtin(),
        name: n(`${d} × ${l} mm, boîte de ${box}`, `${d} × ${l} mm, box of ${box}`),
        attributes: { diameter: d, length: l },
        pack_size: box,
        min_order_qty: box,
        weight: Math.round(d * l * box * 0.006) / 1000,
      })),
    });
  fastener(
    'WUR-ASSY-BOIS',
    'wurth',
    'vis',
    ['Vis à bois ASSY tête fraisée', 'ASSY countersunk wood screw'],
    ['Pointe à découpe, filetage partiel, empreinte Torx.', 'Cutting tip, partial thread, Torx drive.'],
    'zinc',
    [
      [4, 40, 200],
      [5, 50, 200],
      [6, 80, 100],
    ],
    'fraisée',
  );
  fastener(
    'WUR-VIS-INOX',
    'wurth',
    'vis',
    ['Vis à bois inox A2', 'Stainless A2 wood screw'],
    ['Pour l’extérieur et les bois tanniques.', 'For outdoor use and tannic woods.'],
    'a2',
    [
      [4, 30, 200],
      [5, 60, 100],
    ],
    'fraisée',
  );
  fastener(
    'WUR-VIS-TERRASSE',
    'wurth',
    'vis',
    ['Vis de terrasse inox A4', 'Stainless A4 decking screw'],
    ['Résiste au milieu marin.', 'Resists marine environments.'],
    'a4',
    [
      [5, 50, 250],
      [5, 60, 250],
    ],
    'bombée',
  );
  fastener(
    'WUR-TIREFOND',
    'wurth',
    'vis',
    ['Tire-fond tête hexagonale', 'Hexagon head coach screw'],
    null,
    'zinc',
    [
      [8, 80, 50],
      [10, 100, 50],
    ],
    'hexagonale',
  );
  fastener(
    'FIS-SX',
    'fischer',
    'chevilles',
    ['Cheville nylon SX', 'SX nylon wall plug'],
    ['Cheville à expansion 4 segments pour matériaux pleins.', '4-way expansion plug for solid materials.'],
    'nylon',
    [
      [6, 30, 100],
      [8, 40, 100],
      [10, 50, 50],
    ],
  );
  fastener(
    'FIS-DUOPOWER',
    'fischer',
    'chevilles',
    ['Cheville universelle DuoPower', 'DuoPower universal plug'],
    ['Deux composants, tous matériaux.', 'Two components, every material.'],
    'nylon',
    [
      [6, 30, 100],
      [8, 40, 100],
    ],
  );
  fastener(
    'FIS-FAZ-II',
    'fischer',
    'chevilles',
    ['Goujon d’ancrage FAZ II', 'FAZ II bolt anchor'],
    ['Agrément ETA béton fissuré.', 'ETA approval for cracked concrete.'],
    'zinc',
    [
      [10, 95, 20],
      [12, 100, 20],
    ],
  );
  fastener(
    'FIS-METAL',
    'fischer',
    'chevilles',
    ['Cheville métallique pour plaque de plâtre', 'Metal plasterboard fixing'],
    null,
    'zinc',
    [[5, 52, 100]],
  );
  fastener(
    'WUR-BOULON-TH',
    'wurth',
    'boulons',
    ['Boulon tête hexagonale classe 8.8', 'Hexagon bolt grade 8.8'],
    ['Filetage partiel, DIN 931.', 'Partial thread, DIN 931.'],
    'zinc',
    [
      [8, 60, 50],
      [10, 80, 25],
      [12, 100, 25],
    ],
    'hexagonale',
  );
  fastener(
    'WUR-ECROU-FREIN',
    'wurth',
    'boulons',
    ['Écrou frein nylstop', 'Nylon insert lock nut'],
    ['DIN 985.', 'DIN 985.'],
    'a2',
    [
      [8, 8, 100],
      [10, 10, 100],
    ],
  );
  fastener(
    'WUR-RONDELLE',
    'wurth',
    'boulons',
    ['Rondelle plate large', 'Large flat washer'],
    ['DIN 9021.', 'DIN 9021.'],
    'zinc',
    [
      [8, 2, 200],
      [10, 2, 200],
    ],
  );
  fastener('WUR-TIGE-FILETEE', 'wurth', 'boulons', ['Tige filetée 1 m', 'Threaded rod 1 m'], null, 'zinc', [
    [8, 1000, 10],
    [10, 1000, 10],
  ]);

  const ppe = (
    code: string,
    brand: string,
    category: string,
    name: [string, string],
    desc: [string, string],
    standard: string,
    sizes: string[],
    box = 1,
  ) =>
    items.push({
      code,
      family_code: 'ppe',
      brand_code: brand,
      status: 'active',
      name: n(...name),
      description: n(...desc),
      category_codes: [category],
      attributes: { standard },
      variants: sizes.map((size) => ({
        sku: `${code}-${size}`,
        gtin: gtin(),
        attributes: { size },
        pack_size: box,
        ...(box > 1 ? { name: n(`Taille ${size}, lot de ${box}`, `Size ${size}, pack of ${box}`) } : {}),
      })),
    });
  ppe(
    'DLP-GANT-NITRILE',
    'delta-plus',
    'gants',
    ['Gants de manutention enduits nitrile', 'Nitrile-coated handling gloves'],
    ['Bonne préhension en milieu gras.', 'Good grip in oily conditions.'],
    'EN 388',
    ['9', '10'],
    12,
  );
  ppe(
    'DLP-GANT-COUPURE',
    'delta-plus',
    'gants',
    ['Gants anti-coupure niveau C', 'Cut-resistant gloves level C'],
    ['Fibre haute performance.', 'High-performance fibre.'],
    'EN 388 C',
    ['9', '10'],
    12,
  );
  ppe(
    'DLP-CHAUSSURE-S3',
    'delta-plus',
    'chaussures',
    ['Chaussures de sécurité S3 montantes', 'S3 high-top safety shoes'],
    ['Embout composite, semelle anti-perforation.', 'Composite toecap, anti-perforation sole.'],
    'EN ISO 20345 S3',
    ['42', '43'],
  );
  ppe(
    'DLP-LUNETTES',
    'delta-plus',
    'lunettes',
    ['Lunettes de protection incolores', 'Clear safety glasses'],
    ['Traitement anti-buée.', 'Anti-fog coating.'],
    'EN 166',
    ['U'],
    10,
  );
  ppe(
    'DLP-GILET-HV',
    'delta-plus',
    'epi',
    ['Gilet haute visibilité jaune', 'Yellow high-visibility vest'],
    ['Classe 2.', 'Class 2.'],
    'EN ISO 20471',
    ['M', 'L', 'XL'],
  );
  ppe(
    'DLP-CASQUE',
    'delta-plus',
    'epi',
    ['Casque de chantier ventilé', 'Ventilated hard hat'],
    ['Serrage crémaillère.', 'Ratchet adjustment.'],
    'EN 397',
    ['U'],
  );
  ppe(
    'DLP-BOUCHONS',
    'delta-plus',
    'epi',
    ['Bouchons d’oreilles mousse', 'Foam ear plugs'],
    ['SNR 37 dB, boîte de 200 paires.', 'SNR 37 dB, box of 200 pairs.'],
    'EN 352-2',
    ['U'],
    200,
  );

  // Catalogue health has something to show: drafts without English, a discontinued product.
  items.push({
    code: 'MAK-DDF484',
    family_code: 'power-tools',
    brand_code: 'makita',
    status: 'discontinued',
    name: n('Perceuse-visseuse 18 V (ancienne génération)', 'Drill driver 18 V (previous generation)'),
    category_codes: ['perceuses'],
    attributes: { voltage: 18, brushless: true },
    variants: [{ sku: 'MAK-DDF484-NONE', attributes: { battery: 'none' } }],
  });
  for (const [code, fr] of [
    ['WUR-VIS-AGGLO', 'Vis agglo tête fraisée (à compléter)'],
    ['FIS-UX', 'Cheville universelle UX (fiche en cours)'],
    ['DLP-MASQUE-FFP2', 'Masque FFP2 (fiche en cours)'],
  ] as const)
    items.push({
      code,
      family_code: code.startsWith('DLP') ? 'ppe' : 'fasteners',
      brand_code: code.startsWith('DLP') ? 'delta-plus' : code.startsWith('FIS') ? 'fischer' : 'wurth',
      status: 'draft',
      name: { fr },
      category_codes: [code.startsWith('DLP') ? 'epi' : 'fixations'],
      variants: [{ sku: `${code}-1` }],
    });

  // ── Generated range (deterministic): a few hundred more products, so that lists, facets and
  // search have something to chew on. Metric fasteners by standard × material × diameter, cables
  // and breakers, hand tools, gloves — names in French and English, GTINs in a second GS1 range.
  let serial2 = 0;
  const gtin2 = () => {
    const body = `37601235${String(++serial2).padStart(4, '0')}`;
    return `${body}${gtinCheckDigit(body)}`;
  };
  const MATERIALS = [
    ['zinc', 'acier zingué', 'zinc-plated steel'],
    ['a2', 'inox A2', 'stainless A2'],
    ['a4', 'inox A4', 'stainless A4'],
  ] as const;
  const STANDARDS = [
    ['CHC', 'DIN 912', 'Vis CHC', 'Socket head cap screw', 'cylindrique six pans creux', 'vis', [16, 25, 40]],
    ['H', 'DIN 933', 'Vis tête hexagonale', 'Hexagon head screw', 'hexagonale', 'vis', [20, 30, 50]],
    [
      'TF',
      'DIN 7991',
      'Vis tête fraisée six pans creux',
      'Countersunk socket screw',
      'fraisée',
      'vis',
      [12, 20, 30],
    ],
    [
      'TH',
      'ISO 7380',
      'Vis tête bombée six pans creux',
      'Button head socket screw',
      'bombée',
      'vis',
      [10, 16, 25],
    ],
    ['ECR', 'DIN 934', 'Écrou hexagonal', 'Hexagon nut', null, 'boulons', [0]],
    ['ECRF', 'DIN 985', 'Écrou frein nylstop', 'Nyloc lock nut', null, 'boulons', [0]],
    ['RON', 'DIN 125', 'Rondelle plate', 'Flat washer', null, 'boulons', [0]],
    ['TIGE', 'DIN 976', 'Tige filetée 1 m', 'Threaded rod 1 m', null, 'boulons', [1000]],
  ] as const;
  for (const [std, norm, fr, en, head, category, lengths] of STANDARDS)
    for (const [material, mFr, mEn] of MATERIALS)
      for (const d of [4, 5, 6, 8, 10, 12]) {
        const code = `GEN-${std}-${material.toUpperCase()}-M${d}`;
        const box = d <= 6 ? 200 : d <= 8 ? 100 : 50;
        items.push({
          code,
          family_code: 'fasteners',
          brand_code: material === 'zinc' ? 'wurth' : 'fischer',
          status: 'active',
          name: n(`${fr} ${norm} M${d} ${mFr}`, `${en} ${norm} M${d} ${mEn}`),
          description: n(
            `${fr} ${norm}, filetage métrique M${d}, ${mFr}. Vendu par boîte de ${box}.`,
            `${en} ${norm}, M${d} metric thread, ${mEn}. Sold by box of ${box}.`,
          ),
          category_codes: [category],
          attributes: { material, ...(head ? { head } : {}) },
          variants: lengths.map((l) => ({
            sku: `${code}${l ? `X${l}` : ''}`,
            gtin: gtin2(),
            mpn: `${norm.replace(/\s/g, '')}-${d}${l ? `x${l}` : ''}-${material.toUpperCase()}`,
            name: l
              ? n(`M${d} × ${l} mm, boîte de ${box}`, `M${d} × ${l} mm, box of ${box}`)
              : n(`Boîte de ${box}`, `Box of ${box}`),
            attributes: { diameter: d, length: l || d },
            pack_size: l === 1000 ? 1 : box,
            min_order_qty: l === 1000 ? 5 : box,
            order_multiple: l === 1000 ? 5 : box,
          })),
        });
      }
  const CABLES = [
    ['R2V', 'Câble R2V', 'R2V cable', ['3G1.5', '3G2.5', '5G1.5', '5G2.5', '3G6', '5G6']],
    ['H07VU', 'Fil H07V-U', 'H07V-U wire', ['1.5', '2.5', '6']],
    ['H07RNF', 'Câble souple H07RN-F', 'H07RN-F flexible cable', ['3G1.5', '3G2.5', '5G2.5']],
  ] as const;
  for (const [type, fr, en, sections] of CABLES)
    for (const section of sections) {
      const mm2 = Number(section.split('G').pop());
      const code = `GEN-${type}-${section.replace('.', '')}`;
      items.push({
        code,
        family_code: 'electrical',
        brand_code: 'nexans',
        status: 'active',
        name: n(`${fr} ${section} mm²`, `${en} ${section} mm²`),
        description: n(
          `Conforme NF C 15-100, vendu au mètre ou en couronne.`,
          `NF C 15-100 compliant, sold by the metre or by the coil.`,
        ),
        category_codes: ['cables'],
        attributes: { section: mm2, voltage: type === 'H07VU' ? 750 : 1000 },
        variants: [
          {
            sku: `${code}-M`,
            gtin: gtin2(),
            unit: 'm',
            pack_size: 1,
            min_order_qty: 10,
            order_multiple: 1,
            name: n('Au mètre', 'By the metre'),
            attributes: {},
          },
          {
            sku: `${code}-C100`,
            gtin: gtin2(),
            unit: 'm',
            pack_size: 100,
            name: n('Couronne de 100 m', '100 m coil'),
            attributes: {},
          },
        ],
      });
    }
  for (const brand of ['legrand', 'schneider'] as const)
    for (const curve of ['C', 'D'] as const)
      for (const poles of ['1P+N', '3P'] as const) {
        const code = `GEN-DJ-${brand.slice(0, 3).toUpperCase()}-${curve}-${poles.replace('+', '')}`;
        items.push({
          code,
          family_code: 'electrical',
          brand_code: brand,
          status: 'active',
          name: n(`Disjoncteur ${poles} courbe ${curve}`, `Circuit breaker ${poles} curve ${curve}`),
          description: n(
            'Pouvoir de coupure 6 kA, montage sur rail DIN.',
            '6 kA breaking capacity, DIN rail mounting.',
          ),
          category_codes: ['disjoncteurs'],
          attributes: { voltage: poles === '3P' ? 400 : 230, section: 0 },
          variants: [2, 10, 16, 20, 32].map((a) => ({
            sku: `${code}-${a}A`,
            gtin: gtin2(),
            name: n(`${a} A`, `${a} A`),
            attributes: {},
          })),
        });
      }
  const HAND = [
    ['CLE-PLATE', 'Clé plate double', 'Double open-end spanner', [8, 10, 13, 17, 19]],
    ['CLE-MIXTE', 'Clé mixte', 'Combination spanner', [8, 10, 13, 17, 19, 24]],
    ['TOURNEVIS-PZ', 'Tournevis Pozidriv', 'Pozidriv screwdriver', [1, 2, 3]],
    ['TOURNEVIS-TX', 'Tournevis Torx', 'Torx screwdriver', [10, 20, 25, 30]],
    ['PINCE-COUPANTE', 'Pince coupante diagonale', 'Diagonal cutting pliers', [160, 180]],
    ['PINCE-UNIV', 'Pince universelle', 'Combination pliers', [180, 200]],
    ['MARTEAU', 'Marteau de menuisier', 'Joiner’s hammer', [25, 28]],
    ['METRE', 'Mètre ruban', 'Tape measure', [3, 5, 8]],
    ['NIVEAU', 'Niveau à bulle aluminium', 'Aluminium spirit level', [40, 60, 100]],
    ['CUTTER', 'Cutter à lame sécable', 'Snap-off blade cutter', [18, 25]],
  ] as const;
  for (const brand of ['facom', 'stanley'] as const)
    for (const [key, fr, en, sizes] of HAND) {
      const code = `GEN-${brand.slice(0, 3).toUpperCase()}-${key}`;
      items.push({
        code,
        family_code: 'hand-tools',
        brand_code: brand,
        status: 'active',
        name: n(
          `${fr} ${brand === 'facom' ? 'Facom' : 'Stanley'}`,
          `${en} ${brand === 'facom' ? 'Facom' : 'Stanley'}`,
        ),
        description: n('Outil professionnel garanti à vie.', 'Professional tool with a lifetime warranty.'),
        category_codes: ['outils-main'],
        attributes: { set: false },
        variants: sizes.map((sz) => ({
          sku: `${code}-${sz}`,
          gtin: gtin2(),
          name: n(`Taille ${sz}`, `Size ${sz}`),
          attributes: { size_mm: sz },
        })),
      });
    }
  const GLOVES = [
    ['NITRILE', 'Gants nitrile enduits', 'Nitrile coated gloves', 'EN 388'],
    ['CUIR', 'Gants de manutention cuir', 'Leather handling gloves', 'EN 388'],
    ['ANTICOUPURE', 'Gants anti-coupure niveau C', 'Cut-resistant gloves level C', 'EN 388'],
    ['FROID', 'Gants isolants froid', 'Cold insulating gloves', 'EN 511'],
    ['CHIMIQUE', 'Gants de protection chimique', 'Chemical protection gloves', 'EN 374'],
  ] as const;
  for (const [key, fr, en, standard] of GLOVES)
    for (const pack of [1, 12]) {
      const code = `GEN-DLP-${key}-P${pack}`;
      items.push({
        code,
        family_code: 'ppe',
        brand_code: 'delta-plus',
        status: 'active',
        name: n(
          `${fr}${pack > 1 ? ` (lot de ${pack} paires)` : ''}`,
          `${en}${pack > 1 ? ` (pack of ${pack} pairs)` : ''}`,
        ),
        description: n(`Conformes ${standard}.`, `${standard} compliant.`),
        category_codes: ['gants'],
        attributes: { standard },
        variants: ['9', '10'].map((size) => ({
          sku: `${code}-${size}`,
          gtin: gtin2(),
          name: n(`Taille ${size}`, `Size ${size}`),
          attributes: { size },
          pack_size: pack,
        })),
      });
    }
  const result = await bulkUpsertProducts(ctx, items);

  // Pictures and datasheets for the active products (metadata; the bytes are not part of the demo).
  const page = await listProducts(ctx, { limit: 200, status: 'active' });
  for (const [i, p] of page.data.entries()) {
    const slug = p.code.toLowerCase();
    const checksum = createHash('sha256').update(slug).digest('hex');
    if (i % 7 !== 6)
      await createMedia(ctx, p.id, {
        kind: 'image',
        object_key: `catalog/${slug}/main.webp`,
        content_type: 'image/webp',
        size_bytes: 80_000 + i * 997,
        checksum_sha256: checksum,
        title: p.name,
      });
    if (p.family_id && i % 3 === 0)
      await createMedia(ctx, p.id, {
        kind: 'datasheet',
        object_key: `catalog/${slug}/fiche-technique.pdf`,
        content_type: 'application/pdf',
        size_bytes: 250_000 + i * 1_013,
        checksum_sha256: createHash('sha256').update(`${slug}.pdf`).digest('hex'),
        title: n('Fiche technique', 'Datasheet'),
      });
  }
  return { products: result.created };
}
